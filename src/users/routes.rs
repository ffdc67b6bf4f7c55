//! `/users` handlers (administrators).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::examples;
use crate::auth::password;
use crate::caller::CurrentUser;
use crate::domain::identifiers::{Email, check_new_password};
use crate::domain::vocabulary::{HealthBoard, Role};
use crate::error::{ApiError, Problem, Validator};
use crate::http::Json;
use crate::permissions::Action;
use crate::state::AppState;
use crate::users::api::User;
use crate::users::service::{self, NewUser, Place, UserUpdate};
use crate::wire::paging::{PageQuery, Paged};
use crate::wire::present;

/// A new account made by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(value_type = Role)]
    pub role: String,
    /// Required for an applicant, absent for every other role.
    #[serde(default)]
    pub organisation_id: Option<i64>,
    /// Required for a clinician (the unit they work in), absent for every other role.
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// Required for a cash office (its NHS board), absent for every other role.
    #[serde(default)]
    #[schema(value_type = Option<HealthBoard>)]
    pub health_board: Option<String>,
    /// At least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    /// `null` detaches the account from its organisation (with a staff role).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub organisation_id: Option<Option<i64>>,
    /// A clinician's unit; `null` clears it (with another role).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub unit_id: Option<Option<i64>>,
    /// A cash office's board; `null` clears it (with another role).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<HealthBoard>)]
    pub health_board: Option<Option<String>>,
    /// `false` disables the account and ends its sessions.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users of this role.
    pub role: Option<Role>,
}

/// Creates an account (administrators).
#[utoipa::path(
    tag = "users",
    request_body(content = CreateUserRequest, example = json!(examples::create_user())),
    responses(
        (status = 201, description = "Created", body = User),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageUsers)?;
    let request = body.0;
    let mut v = Validator::new();
    let name = v.text("name", &request.name, 1, 200);
    let email = v.check("email", Email::parse(&request.email));
    let role = v.check("role", request.role.parse::<Role>());
    v.check("password", check_new_password(&request.password));
    let health_board = match &request.health_board {
        Some(board) => v.check("health_board", board.parse::<HealthBoard>()),
        None => None,
    };
    v.finish()?;
    let (Some(name), Some(email), Some(role)) = (name, email, role) else {
        return Err(ApiError::internal(
            "user passed validation with a missing value",
        ));
    };
    let now = state.clock.now_naive();
    let actor = user.id;
    let created = state
        .db
        .run(move |conn| {
            let new = NewUser {
                email,
                name,
                role,
                place: Place {
                    organisation_id: request.organisation_id,
                    unit_id: request.unit_id,
                    health_board,
                },
                password_hash: password::hash(&request.password)?,
            };
            service::create(conn, now, Some(actor), &new)
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists accounts (administrators).
#[utoipa::path(
    tag = "users",
    params(UserQuery, PageQuery),
    responses((status = 200, description = "Users", body = Paged<User>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<UserQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<User>>, ApiError> {
    user.require(Action::ManageUsers)?;
    let page = paging.into_inner().parse()?;
    let role = query.into_inner().role;
    Ok(web::Json(
        state
            .db
            .run(move |conn| service::list(conn, role, page))
            .await?,
    ))
}

/// Changes an account's name, role, organisation or whether it is active (administrators).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body(content = UpdateUserRequest, example = json!(examples::update_user())),
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 409, description = "`last_administrator`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<UpdateUserRequest>,
) -> Result<web::Json<User>, ApiError> {
    user.require(Action::ManageUsers)?;
    let request = body.0;
    let mut v = Validator::new();
    let name = match &request.name {
        Some(name) => v.text("name", name, 1, 200),
        None => None,
    };
    let role = match &request.role {
        Some(role) => v.check("role", role.parse::<Role>()),
        None => None,
    };
    let health_board = match &request.health_board {
        Some(Some(board)) => v
            .check("health_board", board.parse::<HealthBoard>())
            .map(Some),
        Some(None) => Some(None),
        None => None,
    };
    v.finish()?;
    let changes = UserUpdate {
        name,
        role,
        organisation_id: request.organisation_id,
        unit_id: request.unit_id,
        health_board,
        active: request.active,
    };
    let now = state.clock.now_naive();
    let (actor, id) = (user.id, id.into_inner());
    let updated = state
        .db
        .run(move |conn| service::update(conn, now, actor, id, &changes))
        .await?;
    state.accounts.clear();
    Ok(web::Json(updated))
}

/// Marks an account for deletion (administrators). It is disabled at once; the retention job
/// then removes its name and email, keeping the records that refer to it.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Disabled and marked for deletion"),
        (status = 403, description = "`step_up_required`: enter a code at `POST /auth/step-up` first", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_administrator`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageUsers)?;
    user.require_recent_factor(state.clock.now())?;
    let now = state.clock.now_naive();
    let (actor, id) = (user.id, id.into_inner());
    state
        .db
        .run(move |conn| service::mark_for_deletion(conn, now, actor, id))
        .await?;
    state.accounts.clear();
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_user)
        .service(list_users)
        .service(update_user)
        .service(delete_user);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<CreateUserRequest>(examples::create_user()).expect("POST /users");
        serde_json::from_value::<UpdateUserRequest>(examples::update_user())
            .expect("PATCH /users/{id}");
    }
}
