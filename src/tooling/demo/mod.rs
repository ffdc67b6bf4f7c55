//! `serve --demo`: on an empty database, seeds the model case below so the service can be tried
//! at once, and prints the sign-in details of its staff and one applicant;
//! `demo credentials --reset` gives those accounts new passwords when the printed ones are lost.
//!
//! The model case is a national perinatal and infant mental health fund (PIMH): £1,000,000 a
//! year approved for 2020-21 to 2022-23; a core round, an innovation round for small
//! organisations and an extension round; organisations across all 14 NHS Scotland health boards
//! with draft and submitted applications, and the services their grants pay for in the national
//! directory. Everything goes through the same service functions as the API, at the dates the
//! events would have happened, so every rule is applied to it.

mod applicants;
mod assessment;
mod awards;
mod directory;
mod documents;
mod family;
mod feedback;
mod forms;
mod fund;
mod monitoring;
mod payments;
mod variations;

use chrono::NaiveDateTime;

use crate::auth::service::{no_users, set_password};
use crate::auth::{password, tokens};
use crate::caller::CurrentUser;
use crate::db::{DbConnection, write_transaction};
use crate::domain::identifiers::Email;
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, Validator};
use crate::organisations::address::{self, AddressInput};
use crate::organisations::model::{OrganisationDetails, OrganisationInput};
use crate::organisations::service as organisations;
use crate::users::model::UserRow;
use crate::users::service::{self as users, NewUser, Place};

/// A demo account and its password.
#[derive(Debug, Clone)]
pub struct Login {
    pub role: Role,
    pub email: String,
    pub password: String,
    /// The TOTP secret (base32) of a member of staff, whose sign-in asks for a code from it.
    pub totp_secret: Option<String>,
}

/// A new second factor for a demo member of staff, confirmed at once; gives its secret.
fn enrol_staff(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &crate::crypto::Keyring,
    user_id: i64,
    role: Role,
) -> Result<Option<String>, ApiError> {
    if !role.works_for_a_fund() {
        return Ok(None);
    }
    let secret = crate::mfa::totp::to_text(&crate::mfa::totp::new_secret()?);
    crate::mfa::service::enrol_with_secret(conn, keyring, now, user_id, &secret)?;
    Ok(Some(secret))
}

const ADMINISTRATOR: &str = "admin@fund.example.org";
const OFFICIAL: &str = "official@gov.example.org";
const FINANCE: &str = "finance@fund.example.org";
const ASSESSOR: &str = "assessor@panel.example.org";
const APPLICANT: &str = "aileen@bumps-and-babies.example.org";
const CLAIMANT: &str = "calum.macleod@family.example.org";
const CLINICIAN: &str = "gillian.shaw@stjohns.example.org";
const CASH_OFFICE: &str = "cash.office@lothian.example.org";

/// The demo accounts whose sign-in details are printed, one of each role.
pub const ACCOUNTS: [(Role, &str); 8] = [
    (Role::Administrator, ADMINISTRATOR),
    (Role::Official, OFFICIAL),
    (Role::Assessor, ASSESSOR),
    (Role::Applicant, APPLICANT),
    (Role::Finance, FINANCE),
    (Role::Claimant, CLAIMANT),
    (Role::Clinician, CLINICIAN),
    (Role::CashOffice, CASH_OFFICE),
];

/// A new demo password. Random, so that a demo started by mistake on a reachable host is not an
/// open door.
fn new_password() -> Result<String, ApiError> {
    let secret = tokens::generate()?;
    Ok(format!("demo-{}", &secret[..16]))
}

/// Gives each demo account of [`ACCOUNTS`] that is in the database (same email and role, still
/// active) a new password, as a password reset does: its sessions end, its reset links stop
/// working and the change is audited. Other accounts are left alone. Gives the new sign-in
/// details, none when the database has no demo account.
pub fn reset_credentials(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &crate::crypto::Keyring,
) -> Result<Vec<Login>, ApiError> {
    // Hashed before the transaction, so that it does not hold the database while hashing.
    let mut fresh = Vec::new();
    for (role, email) in ACCOUNTS {
        let password = new_password()?;
        let hash = password::hash(&password)?;
        fresh.push((role, email, password, hash));
    }
    write_transaction(conn, |conn| {
        let mut logins = Vec::new();
        for (role, email, password, hash) in fresh {
            let Some(user) = UserRow::find_by_email(conn, email)? else {
                continue;
            };
            if user.role != role || !user.active || user.deletion_requested_at.is_some() {
                continue;
            }
            set_password(conn, now, user.id, &hash, None)?;
            let totp_secret = enrol_staff(conn, now, keyring, user.id, role)?;
            logins.push(Login {
                role,
                email: user.email,
                password,
                totp_secret,
            });
        }
        Ok(logins)
    })
}

/// Seeds the demo when there are no users yet; gives the logins it created (none if the
/// database was not empty).
pub fn seed(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &crate::crypto::Keyring,
    blobs: &crate::blobs::Blobs,
) -> Result<Vec<Login>, ApiError> {
    use crate::documents::content::PDF;
    use crate::documents::model::Owner;
    use crate::domain::vocabulary::DocumentKind;
    use documents::pdf;
    let files = documents::Files { blobs };
    write_transaction(conn, |conn| {
        if !no_users(conn)? {
            return Ok(Vec::new());
        }
        let mut logins = Vec::new();
        let mut account =
            |conn: &mut DbConnection, role: Role, email: &str, name: &str, place: Place| {
                let password_text = new_password()?;
                let email = Email::parse(email).map_err(ApiError::internal)?;
                let user = users::create(
                    conn,
                    now,
                    None,
                    &NewUser {
                        email,
                        name: name.to_owned(),
                        role,
                        place,
                        password_hash: password::hash(&password_text)?,
                    },
                )?;
                let totp_secret = enrol_staff(conn, now, keyring, user.id, role)?;
                logins.push(Login {
                    role,
                    email: user.email.clone(),
                    password: password_text,
                    totp_secret,
                });
                Ok::<_, ApiError>(user)
            };
        let admin = account(
            conn,
            Role::Administrator,
            ADMINISTRATOR,
            "Morag Campbell",
            Place::default(),
        )?;
        account(
            conn,
            Role::Official,
            OFFICIAL,
            "Euan Fraser",
            Place::default(),
        )?;
        let sam = account(conn, Role::Assessor, ASSESSOR, "Sam Ng", Place::default())?;

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
            listed_in_directory: true,
        };
        let mut v = Validator::new();
        let details = OrganisationDetails::parse(&input, "", &mut v);
        let details = v.finish_with(|| details)?;
        let organisation = organisations::insert(conn, now, &details)?;
        let aileen = CurrentUser::from(account(
            conn,
            Role::Applicant,
            APPLICANT,
            "Aileen Reid",
            Place::organisation(organisation.id),
        )?);
        let town = AddressInput {
            town: Some("Kirkcaldy".to_owned()),
        };
        address::set(conn, now, &aileen, organisation.id, &town)?;
        let admin = CurrentUser::from(admin);
        organisations::verify(conn, now, &admin, organisation.id)?;
        // The demo charity's due-diligence papers, its accounts current.
        let own = Owner::organisation(organisation.id);
        let period_end = {
            use chrono::Datelike;
            let year = if now.month() >= 7 {
                now.year()
            } else {
                now.year() - 1
            };
            chrono::NaiveDate::from_ymd_opt(year, 3, 31)
                .ok_or_else(|| ApiError::internal("no 31 March"))?
        };
        for (kind, name, lines, end) in [
            (
                DocumentKind::Constitution,
                "Constitution.pdf",
                &[
                    "Bumps & Babies Fife SCIO",
                    "Constitution",
                    "1. Purposes: peer support for new parents in Fife.",
                ][..],
                None,
            ),
            (
                DocumentKind::AnnualAccounts,
                "Annual accounts.pdf",
                &[
                    "Bumps & Babies Fife SCIO",
                    "Trustees' annual report and accounts",
                    "Income: 180,000.00",
                ][..],
                Some(period_end),
            ),
            (
                DocumentKind::SafeguardingPolicy,
                "Safeguarding policy.pdf",
                &[
                    "Bumps & Babies Fife SCIO",
                    "Safeguarding children and adults at risk",
                    "Reviewed every year by the board.",
                ][..],
                None,
            ),
        ] {
            files.attach(conn, now, &aileen, own, kind, end, name, PDF, pdf(lines))?;
        }
        let mut panel = vec![CurrentUser::from(sam)];
        for (email, name) in [
            ("fiona.macleod@panel.example.org", "Fiona MacLeod"),
            ("ravi.shah@panel.example.org", "Ravi Shah"),
            ("eilidh.grant@panel.example.org", "Eilidh Grant"),
        ] {
            panel.push(CurrentUser::from(quiet_account(
                conn,
                now,
                Role::Assessor,
                email,
                name,
                Place::default(),
            )?));
        }
        fund::model_case(conn, keyring, &admin, &aileen, &panel, &files)?;
        let (family_fund, [st_johns, _]) = family::family_fund(conn, &admin)?;
        let claimant = CurrentUser::from(account(
            conn,
            Role::Claimant,
            CLAIMANT,
            "Calum MacLeod",
            Place::default(),
        )?);
        let clinician = CurrentUser::from(account(
            conn,
            Role::Clinician,
            CLINICIAN,
            "Gillian Shaw",
            Place {
                unit_id: Some(st_johns),
                ..Place::default()
            },
        )?);
        let cash_office = CurrentUser::from(account(
            conn,
            Role::CashOffice,
            CASH_OFFICE,
            "Ross Baird",
            Place {
                health_board: Some(crate::domain::vocabulary::HealthBoard::Lothian),
                ..Place::default()
            },
        )?);
        family::families(
            conn,
            keyring,
            &files,
            family_fund,
            &family::People {
                claimant: &claimant,
                clinician: &clinician,
                cash_office: &cash_office,
            },
        )?;
        // The finance user the model case made signs in with a new password.
        if let Some(user) = UserRow::find_by_email(conn, FINANCE)? {
            let password_text = new_password()?;
            set_password(conn, now, user.id, &password::hash(&password_text)?, None)?;
            let totp_secret = enrol_staff(conn, now, keyring, user.id, Role::Finance)?;
            logins.push(Login {
                role: Role::Finance,
                email: user.email,
                password: password_text,
                totp_secret,
            });
        }
        // The demo applicant has just given the organisation's bank details, which wait for a
        // second person's check.
        if let Some(organisation_id) = aileen.organisation_id {
            let input = crate::organisations::bank::BankDetailsInput {
                account_name: "Bumps and Babies Fife".to_owned(),
                sort_code: "80-22-60".to_owned(),
                account_number: "10203040".to_owned(),
                roll_number: None,
            };
            crate::organisations::bank::set(conn, now, keyring, &aileen, organisation_id, &input)?;
        }
        Ok(logins)
    })
}

/// An account whose password is random and never shown: the demo acts as it, nobody signs in.
fn quiet_account(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    role: Role,
    email: &str,
    name: &str,
    place: Place,
) -> Result<crate::users::api::User, ApiError> {
    let secret = tokens::generate()?;
    users::create(
        conn,
        now,
        None,
        &NewUser {
            email: Email::parse(email).map_err(ApiError::internal)?,
            name: name.to_owned(),
            role,
            place,
            password_hash: password::hash(&secret)?,
        },
    )
}

fn at(text: &str) -> Result<NaiveDateTime, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .map_err(ApiError::internal)
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
