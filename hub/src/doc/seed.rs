//! A document's first content, written in one batch.
//!
//! Automerge 0.12 keeps a document's operations in columns and splices every one
//! of them for each `put`: a document of a dozen fields written one by one paid
//! that a dozen times, a fifth of a node's time when it makes new documents. A new
//! document written from a [`Seed`] is one batch, which splices the columns once.
//! The same seed can be written field by field into a document that exists
//! (`write_into`), so what a document starts with is said once, by its [`Seed`].

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ScalarValue, hydrate};

use super::{DocError, ID_KEY, SCOPE_KEY, extend_scope};
use crate::topology::UnitCode;

/// What a new document holds under its root beside `_id`: the units of its
/// `_scope` and its own fields (strings, and empty maps to fill later).
#[derive(Debug, Clone, Default)]
pub struct Seed {
    scope: Vec<UnitCode>,
    fields: Vec<(String, Field)>,
}

#[derive(Debug, Clone)]
enum Field {
    Str(String),
    EmptyMap,
}

impl Seed {
    /// A seed concerning `scope`.
    pub fn concerning<'a>(scope: impl IntoIterator<Item = &'a UnitCode>) -> Seed {
        Seed {
            scope: scope.into_iter().cloned().collect(),
            fields: Vec::new(),
        }
    }

    /// `key` holds the string `value` (as `put(ROOT, key, value)` writes it: a
    /// scalar, not collaborative text).
    pub fn string(mut self, key: &str, value: impl Into<String>) -> Seed {
        self.fields.push((key.to_owned(), Field::Str(value.into())));
        self
    }

    /// `key` holds an empty map.
    pub fn empty_map(mut self, key: &str) -> Seed {
        self.fields.push((key.to_owned(), Field::EmptyMap));
        self
    }

    /// A new document for `doc_id`, written by `actor`, holding its id, this
    /// seed's scope and fields, in one batch. The hub's own keys (`_id`,
    /// `_scope`) are the hub's: a field of the seed under one of them is ignored.
    pub fn into_doc(self, doc_id: &str, actor: ActorId) -> Result<AutoCommit, DocError> {
        let scope: HashMap<String, hydrate::Value> = self
            .scope
            .iter()
            .map(|u| (u.to_string(), ScalarValue::Boolean(true).into()))
            .collect();
        let mut root: HashMap<String, hydrate::Value> = self
            .fields
            .into_iter()
            .map(|(key, field)| (key, field.into_value()))
            .collect();
        root.insert(SCOPE_KEY.to_owned(), hydrate::Map::from(scope).into());
        root.insert(ID_KEY.to_owned(), ScalarValue::Str(doc_id.into()).into());
        let mut doc = AutoCommit::new().with_actor(actor);
        // A batch on an empty document only: it appends without looking at what
        // is there.
        doc.init_root_from_hydrate(&hydrate::Map::from(root))
            .map_err(|e| DocError::automerge(doc_id, e))?;
        Ok(doc)
    }

    /// Writes this seed field by field into `doc`, which exists: its scope
    /// widened, its fields put (a map field made afresh).
    pub fn write_into(&self, doc_id: &str, doc: &mut AutoCommit) -> Result<(), DocError> {
        extend_scope(doc_id, doc, &self.scope)?;
        let am = |e| DocError::automerge(doc_id, e);
        for (key, field) in &self.fields {
            if key == ID_KEY || key == SCOPE_KEY {
                continue;
            }
            match field {
                Field::Str(s) => doc.put(ROOT, key.as_str(), s.as_str()).map_err(am)?,
                Field::EmptyMap => {
                    doc.put_object(ROOT, key.as_str(), ObjType::Map)
                        .map_err(am)?;
                }
            }
        }
        Ok(())
    }
}

impl Field {
    fn into_value(self) -> hydrate::Value {
        match self {
            Field::Str(s) => ScalarValue::Str(s.into()).into(),
            Field::EmptyMap => hydrate::Map::default().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::{ReadDoc, Value};

    use super::*;
    use crate::doc::{self, read_scope, unit_actor};

    /// Whether `doc`'s root holds exactly what `seed` says, read back as any reader
    /// reads it (for tests: a seeded document and one written field by field).
    fn holds(doc: &AutoCommit, seed: &Seed) -> bool {
        seed.fields.iter().all(|(key, field)| {
            if key == ID_KEY || key == SCOPE_KEY {
                return true;
            }
            match (field, doc.get(ROOT, key.as_str()).ok().flatten()) {
                (Field::Str(s), Some((Value::Scalar(v), _))) => v.as_str() == Some(s.as_str()),
                (Field::EmptyMap, Some((Value::Object(ObjType::Map), id))) => {
                    doc.keys(&id).next().is_none()
                }
                _ => false,
            }
        })
    }

    fn unit(code: &str) -> UnitCode {
        code.parse().unwrap()
    }

    fn seed() -> Seed {
        Seed::concerning([&unit("441521"), &unit("441521115000")])
            .string("kind", "memo")
            .string("content", "道路积水，请求疏通排水")
            .string("_id", "not the id")
            .empty_map("records")
    }

    #[test]
    fn a_seeded_document_reads_as_one_written_field_by_field() {
        let town = unit("441521115000");
        let mut seeded = seed().into_doc("d1", unit_actor(&town)).unwrap();
        let mut written = doc::new_doc("d1", unit_actor(&town)).unwrap();
        seed().write_into("d1", &mut written).unwrap();
        for d in [&seeded, &written] {
            assert!(holds(d, &seed()));
            assert_eq!(doc::read_str(d, ID_KEY).as_deref(), Some("d1"));
            assert_eq!(read_scope("d1", d).unwrap().len(), 2);
        }
        // Saved, loaded and changed further, the seeded one stays a document
        // like any other (its batch is a change like any other).
        let bytes = seeded.save();
        let mut loaded = AutoCommit::load(&bytes).unwrap();
        assert!(holds(&loaded, &seed()));
        let records = match loaded.get(ROOT, "records").unwrap() {
            Some((Value::Object(ObjType::Map), id)) => id,
            other => panic!("records: {other:?}"),
        };
        loaded.put(&records, "r1", "{}").unwrap();
        assert_eq!(loaded.keys(&records).count(), 1);
        // And it merges with a concurrent edit of itself.
        let mut other = seeded.fork().with_actor(unit_actor(&unit("441521")));
        other.put(ROOT, "content", "改").unwrap();
        seeded.put(ROOT, "kind", "memo").unwrap();
        seeded.merge(&mut other).unwrap();
        assert_eq!(doc::read_str(&seeded, "content").as_deref(), Some("改"));
    }
}
