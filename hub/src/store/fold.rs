//! Callers' work that is cheaper done for many callers at once. A commit groups
//! many callers' writes; each statement inside it is a round trip (to SQLite's
//! worker thread, or over PostgreSQL's socket), so rows of one kind from every
//! caller in the group are better written by one multi-row statement than by one
//! statement each. A caller hands its rows over as data ([`Foldable`]); the
//! commit gives all items of one kind to that kind's [`Fold::fold`] together.

use std::any::{Any, TypeId};
use std::sync::Arc;

use super::TxStep;

/// A kind of work whose items, from many callers, are written together.
pub trait Fold: Send + Sync + Sized + 'static {
    /// The one step that writes `items` (never empty), all queued for one
    /// commit. It may run more than once: a group that fails is retried one
    /// caller at a time, each with its own items only.
    fn fold(items: Vec<Arc<Self>>) -> TxStep;
}

type Item = Arc<dyn Any + Send + Sync>;

/// A kind's fold with its items type-erased.
type ErasedFold = fn(Vec<Item>) -> TxStep;

/// One caller's item of a [`Fold`] kind, its type erased so that items of
/// different kinds travel in one queue.
#[derive(Clone)]
pub struct Foldable {
    kind: TypeId,
    item: Item,
    fold: ErasedFold,
}

impl Foldable {
    pub fn of<T: Fold>(item: T) -> Foldable {
        Foldable {
            kind: TypeId::of::<T>(),
            item: Arc::new(item),
            fold: fold_erased::<T>,
        }
    }
}

fn fold_erased<T: Fold>(items: Vec<Item>) -> TxStep {
    // Only items made by `Foldable::of::<T>` reach here (grouped by their
    // `TypeId`), so every downcast succeeds.
    T::fold(
        items
            .into_iter()
            .filter_map(|i| i.downcast::<T>().ok())
            .collect(),
    )
}

/// A caller's own work for the transaction that commits its document.
#[derive(Clone)]
pub enum OwnWork {
    /// Run as it is, on its own.
    Run(TxStep),
    /// Folded with the items of its kind from the rest of the group.
    Fold(Foldable),
    /// Several pieces (e.g. a new case's own rows and the audit line of its
    /// query code, each folded with its kind).
    All(Vec<OwnWork>),
}

impl From<TxStep> for OwnWork {
    fn from(step: TxStep) -> OwnWork {
        OwnWork::Run(step)
    }
}

impl From<Foldable> for OwnWork {
    fn from(item: Foldable) -> OwnWork {
        OwnWork::Fold(item)
    }
}

/// The steps of a group as they run: each `Run` in order, then one step per
/// kind of folded item, kinds in the order they first appear.
pub fn folded(steps: impl IntoIterator<Item = OwnWork>) -> Vec<TxStep> {
    let mut run = Vec::new();
    let mut kinds: Vec<(TypeId, ErasedFold, Vec<Item>)> = Vec::new();
    let mut todo: Vec<OwnWork> = steps.into_iter().collect();
    todo.reverse();
    while let Some(step) = todo.pop() {
        match step {
            OwnWork::Run(s) => run.push(s),
            OwnWork::Fold(f) => match kinds.iter_mut().find(|(k, ..)| *k == f.kind) {
                Some((.., items)) => items.push(f.item),
                None => kinds.push((f.kind, f.fold, vec![f.item])),
            },
            // Its pieces next, in their order.
            OwnWork::All(pieces) => todo.extend(pieces.into_iter().rev()),
        }
    }
    run.extend(kinds.into_iter().map(|(_, fold, items)| fold(items)));
    run
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records what each fold was given, instead of writing.
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    struct Letter(char);
    impl Fold for Letter {
        fn fold(items: Vec<Arc<Self>>) -> TxStep {
            let s: String = items.iter().map(|l| l.0).collect();
            SEEN.lock().unwrap().push(format!("letters {s}"));
            noop()
        }
    }

    struct Digit(u8);
    impl Fold for Digit {
        fn fold(items: Vec<Arc<Self>>) -> TxStep {
            let s: String = items.iter().map(|d| d.0.to_string()).collect();
            SEEN.lock().unwrap().push(format!("digits {s}"));
            noop()
        }
    }

    fn noop() -> TxStep {
        Arc::new(|_| Box::pin(async { Ok(()) }))
    }

    #[test]
    fn items_of_one_kind_are_folded_together_in_order_after_the_plain_steps() {
        let steps = vec![
            OwnWork::from(Foldable::of(Digit(1))),
            OwnWork::from(Foldable::of(Letter('a'))),
            OwnWork::from(noop()),
            OwnWork::All(vec![
                Foldable::of(Digit(2)).into(),
                Foldable::of(Letter('b')).into(),
            ]),
            OwnWork::from(Foldable::of(Digit(3))),
        ];
        let out = folded(steps);
        // One plain step, then one per kind.
        assert_eq!(out.len(), 3);
        assert_eq!(
            *SEEN.lock().unwrap(),
            vec!["digits 123".to_owned(), "letters ab".to_owned()]
        );
    }
}
