//! Pages for the fund administrator's staff: funds, years, rounds and criteria; assigning
//! assessors; the ranking with its funding line; decisions with each year's remaining budget in
//! view; reviewing returns; deciding variations of awards; approving directory listings; the
//! outbox and the audit trail.

mod applications;
mod bank_details;
mod funds;
mod payment_runs;
mod records;
mod releases;
mod returns;
mod rounds;
mod services;
mod variations;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/funds", web::get().to(funds::fund_list))
        .route("/admin/funds", web::post().to(funds::create_fund))
        .route("/admin/funds/{id}", web::get().to(funds::fund_page))
        .route("/admin/funds/{id}/years", web::post().to(funds::set_year))
        .route(
            "/admin/funds/{id}/rounds",
            web::post().to(rounds::create_round),
        )
        .route("/admin/rounds/{id}", web::get().to(rounds::round_page))
        .route(
            "/admin/rounds/{id}/criteria",
            web::post().to(rounds::add_criterion),
        )
        .route(
            "/admin/rounds/{id}/assignments",
            web::post().to(rounds::assign_round),
        )
        .route(
            "/admin/rounds/{id}/ranking",
            web::get().to(rounds::ranking_page),
        )
        .route(
            "/admin/applications",
            web::get().to(applications::application_list),
        )
        .route(
            "/admin/applications/{id}",
            web::get().to(applications::application_page),
        )
        .route(
            "/admin/applications/{id}/assignments",
            web::post().to(applications::assign_one),
        )
        .route(
            "/admin/applications/{id}/decision",
            web::post().to(applications::decide),
        )
        .route(
            "/admin/applications/{id}/questions",
            web::post().to(applications::ask),
        )
        .route(
            "/admin/organisations/{id}/verify",
            web::post().to(applications::verify_organisation),
        )
        .route("/admin/awards/{id}", web::get().to(releases::award_page))
        .route(
            "/admin/awards/{id}/instalments/{year}/release",
            web::post().to(releases::request_release),
        )
        .route(
            "/finance/authorisations",
            web::get().to(releases::authorisations_page),
        )
        .route(
            "/finance/authorisations/{id}/{year}",
            web::post().to(releases::authorise),
        )
        .route(
            "/finance/payment-runs",
            web::get().to(payment_runs::runs_page),
        )
        .route("/finance/payment-runs", web::post().to(payment_runs::build))
        .route(
            "/finance/payment-runs/{id}",
            web::get().to(payment_runs::run_page),
        )
        .route(
            "/finance/payment-runs/{id}/lines.csv",
            web::get().to(payment_runs::download),
        )
        .route(
            "/finance/payment-runs/{id}/close",
            web::post().to(payment_runs::close),
        )
        .route(
            "/finance/payment-runs/{id}/lines/{line}/paid",
            web::post().to(payment_runs::mark_paid),
        )
        .route(
            "/finance/payment-runs/{id}/lines/{line}/failed",
            web::post().to(payment_runs::mark_failed),
        )
        .route(
            "/finance/payment-runs/{id}/results",
            web::post().to(payment_runs::upload_results),
        )
        .route(
            "/finance/bank-details",
            web::get().to(bank_details::bank_checks_page),
        )
        .route(
            "/admin/organisations/{id}/bank-details",
            web::get().to(bank_details::bank_details_page),
        )
        .route(
            "/admin/organisations/{id}/bank-details",
            web::post().to(bank_details::bank_details_save),
        )
        .route(
            "/admin/organisations/{id}/bank-details/verify",
            web::post().to(bank_details::bank_details_verify),
        )
        .route("/admin/services", web::get().to(services::service_list))
        .route(
            "/admin/services/{id}/approve",
            web::post().to(services::approve),
        )
        .route("/admin/returns", web::get().to(returns::return_list))
        .route("/admin/returns/{id}", web::get().to(returns::return_page))
        .route(
            "/admin/returns/{id}",
            web::post().to(returns::review_return),
        )
        .route(
            "/admin/variations",
            web::get().to(variations::variation_list),
        )
        .route(
            "/admin/variations/{id}",
            web::get().to(variations::variation_page),
        )
        .route(
            "/admin/variations/{id}",
            web::post().to(variations::decide_variation),
        )
        .route("/admin/outbox", web::get().to(records::outbox_page))
        .route("/admin/audit", web::get().to(records::audit_page));
}
