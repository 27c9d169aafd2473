//! The seed documents' text, compiled into the node's tests: what every shipped
//! rule's `cite` must be a sentence of (`rules/seeds/`, kept in the repository so
//! the check never depends on files beside it).

/// All the seeds, one after the other.
pub fn text() -> String {
    [
        include_str!("../../../rules/seeds/000.txt"),
        include_str!("../../../rules/seeds/001.txt"),
        include_str!("../../../rules/seeds/002.txt"),
        include_str!("../../../rules/seeds/003.txt"),
        include_str!("../../../rules/seeds/004.txt"),
    ]
    .concat()
}
