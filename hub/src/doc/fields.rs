//! A map's fields read in one pass.
//!
//! Automerge keeps a document's operations in columns and seeks them afresh for
//! every `get`: a reader of several fields of one map paid one seek each, which
//! was a seventh of a node's time receiving a first sync. [`Fields`] walks the map
//! once and answers every lookup from what it read.

use automerge::iter::MapRangeItem;
use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, ScalarValueRef, ValueRef};

/// The fields of one map of a document, as `get` would give each (the winning
/// value where replicas wrote a key concurrently).
pub struct Fields<'a> {
    /// In key order, as Automerge gives them.
    items: Vec<MapRangeItem<'a>>,
}

impl<'a> Fields<'a> {
    /// The root map's fields.
    pub fn root(doc: &'a impl ReadDoc) -> Fields<'a> {
        Fields::of(doc, &ROOT)
    }

    /// The fields of the map `obj` (none if `obj` is not a map of `doc`).
    pub fn of(doc: &'a impl ReadDoc, obj: &ObjId) -> Fields<'a> {
        Fields {
            items: doc.map_range(obj, ..).collect(),
        }
    }

    fn item(&self, key: &str) -> Option<&MapRangeItem<'a>> {
        self.items
            .binary_search_by(|i| i.key.as_ref().cmp(key))
            .ok()
            .map(|at| &self.items[at])
    }

    /// The field's value, if present.
    pub fn value(&self, key: &str) -> Option<&ValueRef<'a>> {
        self.item(key).map(|i| &i.value)
    }

    /// The field as text, if present and text.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.value(key)? {
            ValueRef::Scalar(ScalarValueRef::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The field as text: a scalar that is not text as Automerge prints it, and
    /// nothing (empty) for an object or an absent field.
    pub fn text_or_empty(&self, key: &str) -> String {
        match self.value(key) {
            Some(ValueRef::Scalar(ScalarValueRef::Str(s))) => s.to_string(),
            Some(ValueRef::Scalar(other)) => ScalarValue::from(other).to_string(),
            _ => String::new(),
        }
    }

    /// The object at the field: its type and id, if the field holds one.
    pub fn object(&self, key: &str) -> Option<(ObjType, ObjId)> {
        let item = self.item(key)?;
        match item.value {
            ValueRef::Object(t) => Some((t, item.id())),
            ValueRef::Scalar(_) => None,
        }
    }

    /// Whether replicas wrote the field concurrently (then `get_all` gives every
    /// value; these lookups give the winner).
    pub fn conflicted(&self, key: &str) -> bool {
        self.item(key).is_some_and(|i| i.conflict)
    }

    /// Every field, in key order: its key and value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ValueRef<'a>)> {
        self.items.iter().map(|i| (i.key.as_ref(), &i.value))
    }

    /// Every field as Automerge gives it (its key, winning value, operation id
    /// and whether it is conflicted), in key order.
    pub fn items(&self) -> &[MapRangeItem<'a>] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, Value};

    use super::*;

    /// A document with text, a number, a map and a conflicted key.
    fn doc() -> AutoCommit {
        let mut a = AutoCommit::new();
        a.put(ROOT, "name", "汕尾").unwrap();
        a.put(ROOT, "n", 7_i64).unwrap();
        let m = a.put_object(ROOT, "records", ObjType::Map).unwrap();
        a.put(&m, "r1", "{}").unwrap();
        a.put(ROOT, "both", "a").unwrap();
        let mut b = a.fork();
        a.put(ROOT, "both", "from a").unwrap();
        b.put(ROOT, "both", "from b").unwrap();
        a.merge(&mut b).unwrap();
        a
    }

    #[test]
    fn every_lookup_answers_as_get_does() {
        let d = doc();
        let f = Fields::root(&d);
        for key in ["name", "n", "records", "both", "absent"] {
            let got = d.get(ROOT, key).unwrap();
            match got {
                None => assert!(f.value(key).is_none(), "{key}"),
                Some((Value::Scalar(s), _)) => {
                    let text = match s.as_ref() {
                        automerge::ScalarValue::Str(t) => t.to_string(),
                        other => other.to_string(),
                    };
                    assert_eq!(f.text_or_empty(key), text, "{key}");
                    assert!(f.object(key).is_none(), "{key}");
                }
                Some((Value::Object(t), id)) => {
                    assert_eq!(f.object(key), Some((t, id)), "{key}");
                    assert_eq!(f.text_or_empty(key), "", "{key}");
                }
            }
        }
        assert_eq!(f.str("name"), Some("汕尾"));
        assert_eq!(f.str("n"), None);
        assert_eq!(f.text_or_empty("n"), "7");
        assert!(f.conflicted("both"));
        assert!(!f.conflicted("name"));
        assert_eq!(f.items().len(), 4);
        let (_, records) = f.object("records").unwrap();
        let inner = Fields::of(&d, &records);
        assert_eq!(inner.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["r1"]);
        assert!(Fields::of(&d, &ObjId::Root).items().len() == 4);
        // Not a map: no fields, no panic.
        let not_map: ObjId = d.get(ROOT, "name").unwrap().unwrap().1;
        assert!(Fields::of(&d, &not_map).items().is_empty());
    }
}
