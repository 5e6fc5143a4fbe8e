//! Accounts: the people who use the system and their roles.

pub mod email;

use chrono::Utc;
use diesel::prelude::*;

use crate::auth::password::{self, Password};
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::AppError;
pub use email::Email;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Citizen,
    Volunteer,
    Official,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Volunteer => "volunteer",
            Role::Official => "official",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    id: String,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    password_hash: String,
    full_name: &'a str,
    role: &'a str,
    locale: &'a str,
    active: bool,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Creates an administrator; refuses an email already in use. Returns the new user's id.
pub fn create_admin(conn: &mut DbConnection, email: &Email, password: &Password, full_name: &str) -> Result<String, AppError> {
    let password_hash = password::hash(password)?;
    let now = Utc::now().naive_utc();
    let id = uuid::Uuid::now_v7().to_string();
    conn.transaction(|conn| {
        let taken = users::table.filter(users::email.eq(email.as_str())).count().get_result::<i64>(conn)? > 0;
        if taken {
            return Err(AppError::AccountExists);
        }
        diesel::insert_into(users::table)
            .values(NewUser {
                id: id.clone(),
                email: Some(email.as_str()),
                phone: None,
                password_hash,
                full_name,
                role: Role::Admin.as_str(),
                locale: "vi",
                active: true,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)?;
        Ok(id)
    })
}
