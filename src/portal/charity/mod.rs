//! Pages for charities: the organisation's details, applications, award offers, monitoring
//! returns, feedback links, the families' feedback and the organisation's directory listings.

mod applications;
mod awards;
mod bank_details;
mod organisation;
mod questions;
mod returns;
mod services;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organisation",
        web::get().to(organisation::organisation_page),
    )
    .route(
        "/organisation",
        web::post().to(organisation::organisation_save),
    )
    .route(
        "/organisation/bank-details",
        web::get().to(bank_details::bank_details_page),
    )
    .route(
        "/organisation/bank-details",
        web::post().to(bank_details::bank_details_save),
    )
    .route(
        "/organisation/address",
        web::post().to(organisation::town_save),
    )
    .route(
        "/rounds/{id}/apply",
        web::get().to(applications::new_application),
    )
    .route(
        "/rounds/{id}/apply",
        web::post().to(applications::create_application),
    )
    .route(
        "/applications",
        web::get().to(applications::application_list),
    )
    .route(
        "/applications/{id}",
        web::get().to(applications::application_page),
    )
    .route(
        "/applications/{id}",
        web::post().to(applications::application_save),
    )
    .route(
        "/applications/{id}/withdraw",
        web::post().to(applications::withdraw),
    )
    .route(
        "/applications/{id}/questions/{request}",
        web::post().to(applications::answer_question),
    )
    .route("/awards", web::get().to(awards::award_list))
    .route("/awards/{id}", web::get().to(awards::award_page))
    .route(
        "/awards/{id}/respond",
        web::post().to(awards::respond_to_offer),
    )
    .route("/awards/{id}/links", web::post().to(awards::create_link))
    .route(
        "/awards/{id}/variations",
        web::post().to(awards::ask_variation),
    )
    .route("/services", web::get().to(services::service_list))
    .route("/services/new", web::get().to(services::new_service))
    .route("/services/new", web::post().to(services::create_service))
    .route("/services/{id}", web::get().to(services::service_page))
    .route("/services/{id}", web::post().to(services::service_save))
    .route("/returns/{id}", web::get().to(returns::return_page))
    .route("/returns/{id}", web::post().to(returns::return_save));
}

/// The reach fields of the application form, for its template.
pub fn reach_fields() -> [(&'static str, &'static str); 4] {
    applications::REACH
}
