//! `serve --demo`: on an empty database, seeds a small realistic set of accounts so the service
//! can be tried at once, and prints their sign-in details.

use chrono::NaiveDateTime;

use crate::auth::extract::CurrentUser;
use crate::auth::service::no_users;
use crate::auth::{password, tokens};
use crate::db::{DbConnection, write_transaction};
use crate::domain::identifiers::Email;
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, Validator};
use crate::organisations::model::{OrganisationDetails, OrganisationInput};
use crate::organisations::service as organisations;
use crate::users::service::{self as users, NewUser};

/// A demo account and its password.
#[derive(Debug, Clone)]
pub struct Login {
    pub role: Role,
    pub email: String,
    pub password: String,
}

/// Seeds the demo when there are no users yet; gives the logins it created (none if the
/// database was not empty).
pub fn seed(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<Login>, ApiError> {
    write_transaction(conn, |conn| {
        if !no_users(conn)? {
            return Ok(Vec::new());
        }
        let mut logins = Vec::new();
        let mut account = |conn: &mut DbConnection,
                           role: Role,
                           email: &str,
                           name: &str,
                           organisation_id: Option<i64>| {
            // Random passwords: a demo started by mistake on a reachable host is not an open door.
            let secret = tokens::generate()?;
            let password_text = format!("demo-{}", &secret[..16]);
            let email = Email::parse(email).map_err(ApiError::internal)?;
            let user = users::create(
                conn,
                now,
                None,
                &NewUser {
                    email,
                    name: name.to_owned(),
                    role,
                    organisation_id,
                    password_hash: password::hash(&password_text)?,
                },
            )?;
            logins.push(Login {
                role,
                email: user.email.clone(),
                password: password_text,
            });
            Ok::<_, ApiError>(user)
        };
        let admin = account(
            conn,
            Role::Administrator,
            "admin@fund.example.org",
            "Morag Campbell",
            None,
        )?;
        account(
            conn,
            Role::Official,
            "official@gov.example.org",
            "Euan Fraser",
            None,
        )?;
        account(
            conn,
            Role::Assessor,
            "assessor@panel.example.org",
            "Sam Ng",
            None,
        )?;

        let input = OrganisationInput {
            name: "Bumps & Babies Fife".to_owned(),
            organisation_type: "scio".to_owned(),
            charity_number: Some("SC012345".to_owned()),
            company_number: None,
            annual_income: "180000.00".to_owned(),
            address: Some("12 High Street, Kirkcaldy".to_owned()),
            postcode: "KY1 1XX".to_owned(),
            health_boards: vec!["fife".to_owned()],
            website: Some("https://bumps-and-babies.example.org".to_owned()),
            contact_email: "info@bumps-and-babies.example.org".to_owned(),
        };
        let mut v = Validator::new();
        let details = OrganisationDetails::parse(&input, "", &mut v);
        let details = v.finish_with(|| details)?;
        let organisation = organisations::insert(conn, now, &details)?;
        account(
            conn,
            Role::Applicant,
            "aileen@bumps-and-babies.example.org",
            "Aileen Reid",
            Some(organisation.id),
        )?;
        let admin = CurrentUser {
            id: admin.id,
            role: Role::Administrator,
            organisation_id: None,
            email: admin.email,
            name: admin.name,
        };
        organisations::verify(conn, now, &admin, organisation.id)?;
        Ok(logins)
    })
}
