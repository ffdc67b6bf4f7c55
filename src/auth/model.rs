//! The API shapes of registering an organisation with its first user.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::organisations::model::{Organisation, OrganisationInput};
use crate::users::api::User;

/// The first user of a registering organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// The person's name.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Their work email; it is their sign-in name.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
}

/// Registers an organisation with its first applicant user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub organisation: OrganisationInput,
    pub user: NewAccount,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisterResponse {
    pub organisation: Organisation,
    pub user: User,
}
