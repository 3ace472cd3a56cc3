//! PostgreSQL through sqlx's typed driver, on the async runtime: each
//! statement is a round trip to the database server.

use std::sync::Arc;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{AssertSqlSafe, Column, PgConnection, Postgres, Row as _, TypeInfo, ValueRef as _};

use super::{Arg, Cell, Row};
use crate::Result;

pub(crate) async fn run(
    conn: &mut PgConnection,
    sql: &str,
    args: Vec<Arg>,
    want_rows: bool,
) -> Result<(Vec<Row>, u64)> {
    let mut q: sqlx::query::Query<'_, Postgres, PgArguments> =
        sqlx::query(AssertSqlSafe(sql.to_owned()));
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
        };
    }
    if !want_rows {
        let done = q.execute(&mut *conn).await?;
        return Ok((Vec::new(), done.rows_affected()));
    }
    let pg_rows = q.fetch_all(&mut *conn).await?;
    let Some(first) = pg_rows.first() else {
        return Ok((Vec::new(), 0));
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let n = pg_rows.len() as u64;
    let rows = pg_rows
        .iter()
        .map(|r| Ok(Row::new(columns.clone(), cells(r)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok((rows, n))
}

fn cells(row: &PgRow) -> Result<Vec<Cell>> {
    let mut out = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            out.push(Cell::Null);
            continue;
        }
        let type_info = raw.type_info();
        out.push(match type_info.name() {
            "INT8" => Cell::Int(row.try_get::<i64, _>(i)?),
            "INT4" => Cell::Int(i64::from(row.try_get::<i32, _>(i)?)),
            "INT2" => Cell::Int(i64::from(row.try_get::<i16, _>(i)?)),
            "BOOL" => Cell::Int(i64::from(row.try_get::<bool, _>(i)?)),
            "FLOAT8" => Cell::Real(row.try_get::<f64, _>(i)?),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Cell::Text(row.try_get::<String, _>(i)?),
            "BYTEA" => Cell::Bytes(row.try_get::<Vec<u8>, _>(i)?),
            other => {
                return Err(crate::corrupt(format_args!(
                    "column {} has the unsupported type {other}",
                    row.columns()[i].name()
                )));
            }
        });
    }
    Ok(out)
}

/// Whether a PostgreSQL error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.is_unique_violation(),
        _ => false,
    }
}
