//! [`Sql`]: statements built piece by piece with their arguments, written for
//! the engine they run on.

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Arguments, Encode, Executor, FromRow, Type};

use super::Engine;

/// A statement built piece by piece, and its arguments. Placeholders are written
/// for the engine it runs on: `$1, $2, …` for PostgreSQL; `?` for SQLite, where
/// numbered parameters cost a search of the parameter names per bound value
/// (quadratic in a multi-row INSERT: it was a fifth of a first sync's CPU).
/// sqlx's own `QueryBuilder<Any>` writes `?` for both, which PostgreSQL refuses.
pub struct Sql<'q> {
    /// The text between placeholders: one more piece than there are arguments.
    parts: Vec<String>,
    args: AnyArguments<'q>,
    error: Option<sqlx::error::BoxDynError>,
}

/// Where a [`Sql`] statement runs: a connection or a pool, either engine.
pub trait SqlTarget<'c>: Executor<'c, Database = Any> {
    fn engine(&self) -> Engine;
}

impl<'c> SqlTarget<'c> for &'c mut AnyConnection {
    fn engine(&self) -> Engine {
        if self.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}

impl<'c> SqlTarget<'c> for &'c AnyPool {
    fn engine(&self) -> Engine {
        Engine::of_url(self.connect_options().database_url.as_str()).unwrap_or(Engine::Sqlite)
    }
}

impl<'q> Sql<'q> {
    pub fn new(text: impl Into<String>) -> Self {
        Sql {
            parts: vec![text.into()],
            args: AnyArguments::default(),
            error: None,
        }
    }

    fn tail(&mut self) -> &mut String {
        if self.parts.is_empty() {
            self.parts.push(String::new());
        }
        let last = self.parts.len() - 1;
        &mut self.parts[last]
    }

    pub fn push(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.tail().push_str(text.as_ref());
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind<T: 'q + Encode<'q, Any> + Type<Any>>(&mut self, value: T) -> &mut Self {
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self.parts.push(String::new());
        self
    }

    /// Appends `$a, $b, …` for each value.
    pub fn bind_list<T, I>(&mut self, values: I) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
        I: IntoIterator<Item = T>,
    {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Appends `VALUES (…), (…)`: `row` binds one item's columns through [`Row`].
    pub fn values<I, F>(&mut self, items: I, mut row: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(&mut Row<'_, 'q>, I::Item),
    {
        self.push("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(");
            let mut r = Row {
                sql: self,
                first: true,
            };
            row(&mut r, item);
            self.push(")");
        }
        self
    }

    /// The statement as `engine` reads it.
    pub fn render(&self, engine: Engine) -> String {
        let mut out = String::with_capacity(self.parts.iter().map(|p| p.len() + 4).sum());
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                match engine {
                    Engine::Sqlite => out.push('?'),
                    Engine::Postgres => {
                        out.push('$');
                        out.push_str(&i.to_string());
                    }
                }
            }
            out.push_str(part);
        }
        out
    }

    /// The statement's text for `engine` and its arguments, for a query this type
    /// has no shortcut for (e.g. streaming: `sqlx::query_as_with(&text, args)`).
    pub fn into_parts(self, engine: Engine) -> Result<(String, AnyArguments<'q>), sqlx::Error> {
        let text = self.render(engine);
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok((text, self.args)),
        }
    }

    pub async fn execute<'c, E: SqlTarget<'c>>(self, ex: E) -> Result<AnyQueryResult, sqlx::Error> {
        let (text, args) = self.into_parts(ex.engine())?;
        sqlx::query_with(&text, args).execute(ex).await
    }

    pub async fn fetch_all<'c, E: SqlTarget<'c>>(self, ex: E) -> Result<Vec<AnyRow>, sqlx::Error> {
        let (text, args) = self.into_parts(ex.engine())?;
        sqlx::query_with(&text, args).fetch_all(ex).await
    }

    pub async fn fetch_all_as<'c, E, T>(self, ex: E) -> Result<Vec<T>, sqlx::Error>
    where
        E: SqlTarget<'c>,
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let (text, args) = self.into_parts(ex.engine())?;
        sqlx::query_as_with(&text, args).fetch_all(ex).await
    }

    pub async fn fetch_scalars<'c, E, T>(self, ex: E) -> Result<Vec<T>, sqlx::Error>
    where
        E: SqlTarget<'c>,
        T: for<'r> sqlx::Decode<'r, Any> + Type<Any> + Send + Unpin,
    {
        let (text, args) = self.into_parts(ex.engine())?;
        sqlx::query_scalar_with(&text, args).fetch_all(ex).await
    }
}

/// One row of a `VALUES` list being bound.
pub struct Row<'s, 'q> {
    sql: &'s mut Sql<'q>,
    first: bool,
}

impl<'q> Row<'_, 'q> {
    pub fn bind<T: 'q + Encode<'q, Any> + Type<Any>>(&mut self, value: T) -> &mut Self {
        if !self.first {
            self.sql.push(", ");
        }
        self.first = false;
        self.sql.bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        let mut q = Sql::new("SELECT 1 WHERE a = ");
        q.bind(1i64)
            .push(" AND b IN (")
            .bind_list(["x", "y"])
            .push(")");
        assert_eq!(
            q.render(Engine::Postgres),
            "SELECT 1 WHERE a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(
            q.render(Engine::Sqlite),
            "SELECT 1 WHERE a = ? AND b IN (?, ?)"
        );
        let mut q = Sql::new("INSERT INTO t (a, b) ");
        q.values([(1i64, "p"), (2, "q")], |r, (a, b)| {
            r.bind(a).bind(b);
        });
        assert_eq!(
            q.render(Engine::Postgres),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
