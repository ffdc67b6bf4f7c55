//! Open data handlers.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::caller::CurrentUser;
use crate::directory::routes::licensed;
use crate::domain::FinancialYear;
use crate::error::ApiError;
use crate::http::{Format, FormatQuery, answer, csv_response};
use crate::reports::model::{ByHealthBoard, ByTargetGroup, FeedbackReport, FundReach, FundSummary};
use crate::reports::open_data;
use crate::state::AppState;
use crate::usecases::publication::{self, Dataset, Form, SummaryFigures};
use crate::usecases::reports::{
    Report, feedback_report, health_board_report, reach_report, summary_report, target_group_report,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The fund whose grants to export.
    pub fund_id: i64,
    /// `json` (a 360Giving package, the default) or `csv` (the standard's column titles), as
    /// `/exports/360giving.csv` answers it.
    pub format: Option<Format>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportCsvQuery {
    /// The fund whose grants to export.
    pub fund_id: i64,
}

/// The fund's accepted, completed and terminated awards as 360Giving grants (officials and
/// administrators): grant ids `360G-<OPEN_DATA_PREFIX>-<award reference>`, recipients by org-id
/// (`GB-SC-` charity number, else `GB-COH-` company number, else
/// `360G-<OPEN_DATA_PREFIX>-ORG-<organisation id>`), each health board covered as a beneficiary
/// location (GSS code, `geoCodeType` `HB`). As CSV with `?format=csv` or `Accept: text/csv`, or
/// from `/exports/360giving.csv`.
#[utoipa::path(
    tag = "reports",
    params(ExportQuery),
    responses((status = 404, description = "`not_found`: no such fund", body = crate::error::Problem, content_type = "application/problem+json"), (status = 200, description = "The 360Giving package or CSV", content(
        (open_data::Package = "application/json"),
        (String = "text/csv"),
    ))),
    security(("bearer" = []))
)]
#[get("/exports/360giving")]
pub async fn export_360giving(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = FormatQuery {
        format: query.format,
    }
    .wants_csv(&req);
    export(&state, user, query.fund_id, csv).await
}

/// The fund's 360Giving grants as CSV with the standard's column titles (officials and
/// administrators): `/exports/360giving?format=csv` as its own operation, whose answer is only
/// ever CSV. Each health board is a numbered set of `Beneficiary Location` columns.
#[utoipa::path(
    tag = "reports",
    params(ExportCsvQuery),
    responses((status = 404, description = "`not_found`: no such fund", body = crate::error::Problem, content_type = "application/problem+json"), (status = 200, description = "The grants as CSV", content(
        (String = "text/csv"),
    ))),
    security(("bearer" = []))
)]
#[get("/exports/360giving.csv")]
pub async fn export_360giving_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ExportCsvQuery>,
) -> Result<HttpResponse, ApiError> {
    export(&state, user, query.fund_id, true).await
}

/// The export of a fund as JSON or CSV.
async fn export(
    state: &AppState,
    user: CurrentUser,
    fund_id: i64,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let prefix = state.settings.open_data_prefix.clone();
    let public_url = state.settings.public_url.clone();
    let export = state
        .db
        .run(move |conn| {
            let publisher = open_data::Publisher {
                prefix: &prefix,
                public_url: &public_url,
            };
            open_data::export(conn, &user, fund_id, &publisher)
        })
        .await?;
    let response = if csv {
        csv_response(
            &format!("360giving-fund-{fund_id}.csv"),
            open_data::to_csv(&export)?,
        )
    } else {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(open_data::to_json(&export)?)
    };
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// One financial year, e.g. `2021-22`; every year when absent.
    #[param(value_type = Option<String>, pattern = r"^20[0-9]{2}-[0-9]{2}$")]
    pub financial_year: Option<FinancialYear>,
    /// `csv` for CSV; otherwise JSON unless `Accept: text/csv` asks for CSV. The sibling path
    /// ending in `.csv` answers the same CSV.
    pub format: Option<Format>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// One financial year, e.g. `2021-22`; every year when absent.
    #[param(value_type = Option<String>, pattern = r"^20[0-9]{2}-[0-9]{2}$")]
    pub financial_year: Option<FinancialYear>,
}

impl ReportQuery {
    fn wants_csv(&self, req: &HttpRequest) -> bool {
        FormatQuery {
            format: self.format,
        }
        .wants_csv(req)
    }
}

/// Answers one of a fund's reports: as JSON, or as CSV when asked.
async fn answer_report<T: serde::Serialize + Clone + Send + Sync + 'static>(
    report: &Report<T>,
    state: &AppState,
    req: &HttpRequest,
    user: CurrentUser,
    id: i64,
    query: &ReportQuery,
) -> Result<HttpResponse, ApiError> {
    if query.wants_csv(req) {
        download(report, state, user, id).await
    } else {
        Ok(HttpResponse::Ok().json(report.read(state, user, id).await?))
    }
}

/// The report as a CSV download, as the API answers it.
async fn download<T: serde::Serialize + Clone + Send + Sync + 'static>(
    report: &Report<T>,
    state: &AppState,
    user: CurrentUser,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let (name, body) = report.csv(state, user, id).await?;
    Ok(csv_response(&name, body))
}

/// Declares reports' operations: those answering JSON, or CSV when asked, and their siblings
/// whose paths end in `.csv` and answer only CSV.
macro_rules! report_routes {
    (json: $(
        $(#[$doc:meta])*
        $name:ident at $path:tt answers $body:ident described $described:tt from $report:ident;
    )*) => {$(
        $(#[$doc])*
        #[utoipa::path(
            tag = "reports",
            params(("id" = i64, Path, description = "Fund id"), ReportQuery),
            responses((status = 200, description = $described, content(
                ($body = "application/json"),
                (String = "text/csv"),
            ))),
            security(("bearer" = []))
        )]
        #[get($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            req: HttpRequest,
            user: CurrentUser,
            id: web::Path<i64>,
            query: web::Query<ReportQuery>,
        ) -> Result<HttpResponse, ApiError> {
            let report = $report(query.financial_year);
            answer_report(&report, &state, &req, user, id.into_inner(), &query).await
        }
    )*};
    (csv: $(
        $(#[$doc:meta])*
        $name:ident at $path:tt described $described:tt from $report:ident;
    )*) => {$(
        $(#[$doc])*
        #[utoipa::path(
            tag = "reports",
            params(("id" = i64, Path, description = "Fund id"), YearQuery),
            responses((status = 200, description = $described, content((String = "text/csv")))),
            security(("bearer" = []))
        )]
        #[get($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            user: CurrentUser,
            id: web::Path<i64>,
            query: web::Query<YearQuery>,
        ) -> Result<HttpResponse, ApiError> {
            download(&$report(query.financial_year), &state, user, id.into_inner()).await
        }
    )*};
}

report_routes! {
    json:
    /// A fund's money (officials and administrators): each year's limit, committed, paid and
    /// remaining, with the number of awards and organisations, split by component; and the
    /// programme total. Committed is every instalment not given back, paid every instalment
    /// released, so the figures equal the fund's years to the penny.
    summary at "/reports/funds/{id}/summary" answers FundSummary described "The summary" from summary_report;
    /// A fund's money per NHS health board, all 14 listed with their GSS codes, zeros included
    /// (officials and administrators). An award covering several boards has each instalment split
    /// equally between them in whole pence, the leftover pennies one each to its first boards in the
    /// published order, so the boards add up to the fund's total; the award and its organisation
    /// are counted in each board it covers.
    by_health_board at "/reports/funds/{id}/by-health-board" answers ByHealthBoard described "By health board" from health_board_report;
    /// A fund's money per target group, every group listed (officials and administrators). An
    /// award for several groups is split between them as for health boards, and counted in each.
    by_target_group at "/reports/funds/{id}/by-target-group" answers ByTargetGroup described "By target group" from target_group_report;
    /// People supported, from accepted periodic returns, per year and in total, against the fund's
    /// reach target (officials and administrators); with `financial_year`, that year's returns only.
    /// People newly supported count towards the target, each once; the percentage is rounded half-up
    /// to one place.
    reach at "/reports/funds/{id}/reach" answers FundReach described "Reach" from reach_report;
    /// Family feedback ratings per statement by year, component and health board (officials and
    /// administrators); with `financial_year`, the responses that arrived in that year only. No free
    /// text; any group of fewer than five responses is shown without figures, and so is a second
    /// group whenever the total would otherwise give a small one away. Responses are published to
    /// these figures in batches: a group's figures change only when at least five new responses
    /// reach it, so that two readings never differ by one family's answers.
    feedback at "/reports/funds/{id}/feedback" answers FeedbackReport described "Feedback" from feedback_report;
}

report_routes! {
    csv:
    /// The summary as CSV (officials and administrators): `…/summary?format=csv` as its own
    /// operation, whose answer is only ever CSV. Columns `financial_year, component, limit,
    /// committed, paid, remaining, awards, organisations`; the last row is the programme total.
    summary_csv at "/reports/funds/{id}/summary.csv" described "The summary as CSV" from summary_report;
    /// Money by health board as CSV (officials and administrators): `…/by-health-board?format=csv`
    /// as its own operation. Columns `financial_year, health_board, gss_code, committed, paid,
    /// awards, organisations`.
    by_health_board_csv at "/reports/funds/{id}/by-health-board.csv" described "By health board as CSV" from health_board_report;
    /// Money by target group as CSV (officials and administrators): `…/by-target-group?format=csv`
    /// as its own operation. Columns `financial_year, target_group, committed, paid, awards,
    /// organisations`.
    by_target_group_csv at "/reports/funds/{id}/by-target-group.csv" described "By target group as CSV" from target_group_report;
    /// Reach as CSV (officials and administrators): `…/reach?format=csv` as its own operation. A
    /// row per year of people supported, the total, then the target and the percentage reached.
    reach_csv at "/reports/funds/{id}/reach.csv" described "Reach as CSV" from reach_report;
    /// Family feedback ratings as CSV (officials and administrators): `…/feedback?format=csv` as
    /// its own operation. Columns `dimension, group, suppressed, responses` and the mean of each
    /// statement; small groups are suppressed as in the JSON.
    feedback_csv at "/reports/funds/{id}/feedback.csv" described "Feedback as CSV" from feedback_report;
}

/// The open datasets (no sign-in): each fund's grants as 360Giving JSON and CSV, each fund's
/// summary figures (money, reach and family feedback by year) as CSV and JSON, and the
/// national directory as CSV and JSON, each with its licence (the Open Government Licence
/// v3.0), its last update (from the data) and the SHA-256 of the exact bytes its download
/// serves. The reports by health board and target group are for officials only.
#[utoipa::path(
    tag = "reports",
    responses((status = 200, description = "The open datasets", body = Vec<Dataset>)),
    security(())
)]
#[get("/open-data")]
pub async fn list_open_data(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Dataset>>, ApiError> {
    let prefix = state.settings.open_data_prefix.clone();
    let public_url = state.settings.public_url.clone();
    answer(&state, move |conn, _| {
        let publisher = open_data::Publisher {
            prefix: &prefix,
            public_url: &public_url,
        };
        publication::datasets(conn, &publisher)
    })
    .await
}

/// A fund's grants as a 360Giving data package (no sign-in), under the Open Government Licence
/// v3.0 (in the `Link` header): the same bytes as `/exports/360giving`. Its SHA-256 is on
/// `/open-data`.
#[utoipa::path(
    tag = "reports",
    params(("id" = i64, Path, description = "Fund id")),
    responses((status = 404, description = "`not_found`: no such fund", body = crate::error::Problem, content_type = "application/problem+json"), (status = 200, description = "The 360Giving package", body = open_data::Package)),
    security(())
)]
#[get("/open-data/funds/{id}/360giving.json")]
pub async fn open_data_json(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let bytes = public_grants(&state, id, Form::Json).await?;
    Ok(licensed(
        Form::Json,
        &format!("360giving-fund-{id}.json"),
        bytes,
    ))
}

/// A fund's grants as 360Giving CSV (no sign-in), under the Open Government Licence v3.0 (in
/// the `Link` header): the same bytes as `/exports/360giving.csv`. Its SHA-256 is on
/// `/open-data`.
#[utoipa::path(
    tag = "reports",
    params(("id" = i64, Path, description = "Fund id")),
    responses((status = 404, description = "`not_found`: no such fund", body = crate::error::Problem, content_type = "application/problem+json"), (status = 200, description = "The grants as CSV", content((String = "text/csv")))),
    security(())
)]
#[get("/open-data/funds/{id}/360giving.csv")]
pub async fn open_data_csv(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let bytes = public_grants(&state, id, Form::Csv).await?;
    Ok(licensed(
        Form::Csv,
        &format!("360giving-fund-{id}.csv"),
        bytes,
    ))
}

/// Declares the public JSON downloads of a fund's summary figures, one operation each so that
/// each names its own body.
macro_rules! open_figures_json {
    ($(
        $(#[$doc:meta])*
        $name:ident at $path:tt answers $body:ident as $figures:expr;
    )*) => {$(
        $(#[$doc])*
        #[utoipa::path(
            tag = "reports",
            params(("id" = i64, Path, description = "Fund id")),
            responses((status = 404, description = "`not_found`: no such fund", body = crate::error::Problem, content_type = "application/problem+json"), (status = 200, description = "The figures", body = $body)),
            security(())
        )]
        #[get($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            id: web::Path<i64>,
        ) -> Result<HttpResponse, ApiError> {
            open_figures(&state, id.into_inner(), $figures).await
        }
    )*};
}

open_figures_json! {
    /// A fund's money over every year as JSON (no sign-in), under the Open Government Licence
    /// v3.0 (in the `Link` header): what officials read from `/reports/funds/{id}/summary`. Its
    /// SHA-256 is on `/open-data`.
    open_summary at "/open-data/funds/{id}/summary.json" answers FundSummary as SummaryFigures::Summary;
    /// A fund's reach over every year as JSON (no sign-in), under the Open Government Licence
    /// v3.0 (in the `Link` header): what officials read from `/reports/funds/{id}/reach`. Its
    /// SHA-256 is on `/open-data`.
    open_reach at "/open-data/funds/{id}/reach.json" answers FundReach as SummaryFigures::Reach;
    /// A fund's family feedback over every year as JSON (no sign-in), under the Open Government
    /// Licence v3.0 (in the `Link` header): what officials read from
    /// `/reports/funds/{id}/feedback`, small groups suppressed the same way. Its SHA-256 is on
    /// `/open-data`.
    open_feedback at "/open-data/funds/{id}/feedback.json" answers FeedbackReport as SummaryFigures::Feedback;
}

async fn open_figures(
    state: &AppState,
    id: i64,
    figures: SummaryFigures,
) -> Result<HttpResponse, ApiError> {
    let bytes = state
        .db
        .run(move |conn| publication::summary_figures(conn, id, figures, Form::Json))
        .await?;
    Ok(licensed(
        Form::Json,
        &figures.file_name(id, Form::Json),
        bytes,
    ))
}

/// A fund's summary figures over every year as CSV (no sign-in), under the Open Government
/// Licence v3.0 (in the `Link` header): the same bytes as the officials' CSV of
/// `/reports/funds/{id}/summary.csv`, `…/reach.csv` and `…/feedback.csv` with no year asked
/// for. Its SHA-256 is on `/open-data`.
#[utoipa::path(
    tag = "reports",
    params(("id" = i64, Path, description = "Fund id"), ("figures" = String, Path, description = "`summary`, `reach` or `feedback`", pattern = r"^(summary|reach|feedback)$")),
    responses((status = 404, description = "`not_found`: no such fund, or no such figures", body = crate::error::Problem, content_type = "application/problem+json"), (status = 200, description = "The figures as CSV", content((String = "text/csv")))),
    security(())
)]
#[get("/open-data/funds/{id}/{figures}.csv")]
pub async fn open_figures_csv(
    state: web::Data<AppState>,
    path: web::Path<(i64, SummaryFigures)>,
) -> Result<HttpResponse, ApiError> {
    let (id, figures) = path.into_inner();
    let bytes = state
        .db
        .run(move |conn| publication::summary_figures(conn, id, figures, Form::Csv))
        .await?;
    Ok(licensed(
        Form::Csv,
        &figures.file_name(id, Form::Csv),
        bytes,
    ))
}

async fn public_grants(state: &AppState, fund_id: i64, form: Form) -> Result<Vec<u8>, ApiError> {
    let prefix = state.settings.open_data_prefix.clone();
    let public_url = state.settings.public_url.clone();
    let (bytes, _) = state
        .db
        .run(move |conn| {
            let publisher = open_data::Publisher {
                prefix: &prefix,
                public_url: &public_url,
            };
            publication::grants(conn, &publisher, fund_id, form)
        })
        .await?;
    Ok(bytes)
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(export_360giving)
        .service(export_360giving_csv)
        .service(list_open_data)
        .service(open_data_json)
        .service(open_data_csv)
        .service(open_summary)
        .service(open_reach)
        .service(open_feedback)
        .service(open_figures_csv)
        .service(summary)
        .service(summary_csv)
        .service(by_health_board)
        .service(by_health_board_csv)
        .service(by_target_group)
        .service(by_target_group_csv)
        .service(reach)
        .service(reach_csv)
        .service(feedback)
        .service(feedback_csv);
}
