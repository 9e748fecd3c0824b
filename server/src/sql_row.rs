//! Reading a database row into a struct, each field from the column of its name, on SQLite and
//! PostgreSQL alike: what sqlx's `FromRow` derive does, without sqlx's `derive` feature. That
//! feature builds sqlx's macros crate, which compiles sqlx's SQLite driver (the bundled SQLite C
//! library included) and its PostgreSQL driver a second time, for the compiler, in every cold
//! build and lint run (README, "Build pipeline", with figures).

/// `from_row!(Row { id, created_ms, ... })` implements `sqlx::FromRow` for `Row` on SQLite and
/// PostgreSQL rows: each listed field is read with `Row::try_get` from the column of its name
/// (so column order does not matter, and a missing or mistyped column is an error naming it).
/// List every field: a field left out is a compile error, as with the derive.
macro_rules! from_row {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        $crate::sql_row::from_row!(@on sqlx::sqlite::SqliteRow, $name { $($field),+ });
        $crate::sql_row::from_row!(@on sqlx::postgres::PgRow, $name { $($field),+ });
    };
    (@on $row:ty, $name:ident { $($field:ident),+ }) => {
        impl<'r> sqlx::FromRow<'r, $row> for $name {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok(Self {
                    $($field: row.try_get(stringify!($field))?),+
                })
            }
        }
    };
}

pub(crate) use from_row;

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePool;

    #[derive(Debug, PartialEq)]
    struct Example {
        id: i64,
        name: String,
        note: Option<String>,
        flag: bool,
    }

    from_row!(Example {
        id,
        name,
        note,
        flag
    });

    async fn read(sql: &str) -> Result<Example, sqlx::Error> {
        let pool = SqlitePool::connect("sqlite::memory:").await?;
        sqlx::query_as(sql).fetch_one(&pool).await
    }

    #[tokio::test]
    async fn fields_are_read_by_column_name_and_a_missing_column_is_named() {
        let cases: [(&str, Result<Example, &str>); 4] = [
            (
                "SELECT 7 AS id, 'a' AS name, NULL AS note, 1 AS flag",
                Ok(Example {
                    id: 7,
                    name: "a".into(),
                    note: None,
                    flag: true,
                }),
            ),
            (
                "SELECT 0 AS flag, 'x' AS note, 'b' AS name, 8 AS id",
                Ok(Example {
                    id: 8,
                    name: "b".into(),
                    note: Some("x".into()),
                    flag: false,
                }),
            ),
            ("SELECT 7 AS id, 'a' AS name, 1 AS flag", Err("note")),
            (
                "SELECT 'seven' AS id, 'a' AS name, NULL AS note, 1 AS flag",
                Err("id"),
            ),
        ];
        for (sql, expected) in cases {
            match (read(sql).await, expected) {
                (Ok(row), Ok(want)) => assert_eq!(row, want, "{sql}"),
                (Err(error), Err(column)) => {
                    assert!(error.to_string().contains(column), "{sql}: {error}")
                }
                (got, want) => panic!("{sql}: {got:?}, expected {want:?}"),
            }
        }
    }
}
