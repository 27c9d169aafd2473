//! `from_row!`: reading a query's row into a struct by field names.

/// Reads a struct from a query's row, each field from the column of its name:
/// what sqlx's `FromRow` derive does, without its proc macro, which brings sqlx's
/// compile-time query checker and both database drivers into every build (see
/// `migrations`). A field left out of the list does
/// not compile; fields in the `absent_as_default` list may be missing from the
/// query and then read as their default.
#[macro_export]
macro_rules! from_row {
    ($ty:ident { $($field:ident),* $(,)? }
     $(absent_as_default { $($absent:ident),* $(,)? })?) => {
        impl<'r> $crate::db::__sqlx::FromRow<'r, $crate::db::__sqlx::any::AnyRow> for $ty {
            fn from_row(
                row: &'r $crate::db::__sqlx::any::AnyRow,
            ) -> ::std::result::Result<Self, $crate::db::__sqlx::Error> {
                use $crate::db::__sqlx::Row as _;
                Ok($ty {
                    $($field: row.try_get(stringify!($field))?,)*
                    $($($absent: match row.try_get(stringify!($absent)) {
                        Err($crate::db::__sqlx::Error::ColumnNotFound(_)) => Default::default(),
                        other => other?,
                    },)*)?
                })
            }
        }
    };
}
