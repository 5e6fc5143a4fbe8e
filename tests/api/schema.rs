//! Both backends' migrations end with the same tables, columns and nullability (SQLite's full-text
//! tables are counted, their shadow tables are not).

use std::collections::BTreeMap;

use congdanso::db::{run_migrations, ConnectionManager, DbConnection};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::common::{Backend, TestDb};

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

type Shape = BTreeMap<String, Vec<(String, bool)>>;

fn migrated_shape(db: &TestDb) -> Shape {
    let settings =
        congdanso::config::Settings::from_lookup(|name| (name == "DATABASE_URL").then(|| db.url.clone())).unwrap();
    let mut conn = ConnectionManager::new(settings.database).connect().expect("connect");
    run_migrations(&mut conn).expect("migrate");
    let query = match conn {
        DbConnection::Postgres(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, (is_nullable = 'YES') AS nullable \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%' \
                             AND m.name LIKE v.name || '\\_%' ESCAPE '\\')"
        }
    };
    let columns: Vec<Column> = diesel::sql_query(query).load(&mut conn).expect("describe tables");
    let mut shape = Shape::new();
    for column in columns {
        if column.table_name.starts_with("__diesel") || column.table_name.starts_with("sqlite_") {
            continue;
        }
        shape.entry(column.table_name).or_default().push((column.column_name, column.nullable));
    }
    shape.values_mut().for_each(|columns| columns.sort());
    shape
}

#[test]
fn both_backends_end_with_the_same_tables_and_columns() {
    let sqlite = migrated_shape(&TestDb::create(Backend::Sqlite).unwrap());
    assert!(sqlite.contains_key("admin_units") && sqlite.contains_key("categories"));
    let Some(postgres_db) = TestDb::create(Backend::Postgres) else { return };
    let postgres = migrated_shape(&postgres_db);
    assert_eq!(sqlite, postgres);
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

#[test]
fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let settings =
        congdanso::config::Settings::from_lookup(|name| (name == "DATABASE_URL").then(|| db.url.clone())).unwrap();
    let mut conn = ConnectionManager::new(settings.database).connect().expect("connect");
    let mut pragma = |name: &str, column: &str| -> String {
        let rows: Vec<Pragma> = diesel::sql_query(format!("SELECT CAST({column} AS TEXT) AS value FROM pragma_{name}"))
            .load(&mut conn)
            .unwrap();
        rows.into_iter().next().unwrap().value
    };
    assert_eq!(pragma("journal_mode", "journal_mode"), "wal");
    assert_eq!(pragma("foreign_keys", "foreign_keys"), "1");
    assert_eq!(pragma("busy_timeout", "timeout"), "5000");
}
