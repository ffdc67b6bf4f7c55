//! Payment runs for finance: the list, building a run, the run's page with its total and count,
//! its CSV file, closing it, and marking each line paid or failed by hand or from the bank's
//! results file.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use chrono::NaiveDateTime;

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::http::csv_response;
use crate::http::upload::receive;
use crate::payments::model::{
    BuildRunInput, MarkFailedInput, MarkPaidInput, PaymentRun, PaymentRunSummary,
};
use crate::payments::{marking, runs};
use crate::permissions::Action;
use crate::portal::form::Form;
use crate::portal::session::CSRF_FIELD;
use crate::portal::{Layout, PageResult, Visitor, see_other};

#[derive(Template)]
#[template(path = "portal/admin/payment_runs.html")]
struct RunsPage {
    layout: Layout,
    form: Form,
    runs: Vec<PaymentRunSummary>,
}

async fn show_runs(v: &Visitor, form: Form, status: StatusCode) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    let runs = v.read(move |conn| runs::list(conn, &user)).await?;
    Ok(v.with_status(
        status,
        &RunsPage {
            layout: v.layout("Payment runs", "/finance/payment-runs"),
            form,
            runs,
        },
    ))
}

pub(super) async fn runs_page(v: Visitor) -> PageResult {
    show_runs(&v, Form::new(), StatusCode::OK).await
}

/// Builds a run from every authorised payment and shows it.
pub(super) async fn build(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    let mut form = v.form(&body)?;
    let built = v
        .change(&mut form, move |conn, now| {
            runs::build(conn, now, &user, &BuildRunInput::default())
        })
        .await?;
    match built {
        Ok(built) => Ok(see_other(&format!(
            "/finance/payment-runs/{}?skipped={}",
            built.run.id,
            built.skipped.len()
        ))),
        Err(status) => show_runs(&v, form, status).await,
    }
}

#[derive(Template)]
#[template(path = "portal/admin/payment_run.html")]
struct RunPage {
    layout: Layout,
    form: Form,
    /// The line the form was sent for, when it was one line's.
    line: Option<i64>,
    run: PaymentRun,
    today: String,
}

impl RunPage {
    fn closed(&self) -> bool {
        self.run.status.as_str() == "closed"
    }

    /// The error beside `field` of line `id`, when the form was that line's.
    fn line_error(&self, id: &i64, field: &str) -> Option<String> {
        let id = *id;
        if self.line == Some(id) {
            self.form.error(&format!("{field}-{id}"))
        } else {
            None
        }
    }

    /// What line `id`'s `field` shows: what was sent for it, or for a date today.
    fn line_value(&self, id: &i64, field: &str) -> String {
        let id = *id;
        if self.line == Some(id) {
            self.form.value(&format!("{field}-{id}")).to_owned()
        } else if field == "paid_on" {
            self.today.clone()
        } else {
            String::new()
        }
    }
}

async fn show_run(
    v: &Visitor,
    id: i64,
    form: Form,
    line: Option<i64>,
    status: StatusCode,
    notice: Option<String>,
) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    let run = v.read(move |conn| runs::get(conn, &user, id)).await?;
    let mut layout = v.layout(format!("Payment run {id}"), "/finance/payment-runs");
    layout.notice = notice;
    let today = v.state.clock.now_naive().date().to_string();
    Ok(v.with_status(
        status,
        &RunPage {
            layout,
            form,
            line,
            run,
            today,
        },
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct RunQuery {
    skipped: Option<usize>,
}

pub(super) async fn run_page(
    v: Visitor,
    id: web::Path<i64>,
    query: web::Query<RunQuery>,
) -> PageResult {
    let notice = query.skipped.map(|n| match n {
        0 => "The payment run is built. Check its total and count, download its file, send it to the bank, then close it.".to_owned(),
        n => format!("The payment run is built. {n} authorised payment(s) were left out because the organisation's bank details wait for a check; they go into a later run once verified."),
    });
    show_run(
        &v,
        id.into_inner(),
        Form::new(),
        None,
        StatusCode::OK,
        notice,
    )
    .await
}

/// The run's file for the finance system, with the bank details in full: audited.
pub(super) async fn download(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    let id = id.into_inner();
    v.require_recent_factor(&user, &format!("/finance/payment-runs/{id}"))?;
    let keyring = v.state.keyring.clone();
    let now = v.state.clock.now_naive();
    let bytes = v
        .read(move |conn| runs::file(conn, now, &keyring, &user, id))
        .await?;
    Ok(csv_response(&format!("payment-run-{id}.csv"), bytes))
}

pub(super) async fn close(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    let id = id.into_inner();
    let mut form = v.form(&body)?;
    let closed = v
        .change(&mut form, move |conn, now| {
            runs::close(conn, now, &user, id)
        })
        .await?;
    match closed {
        Ok(_) => {
            let notice = "The payment run is closed. Mark each line paid or failed as the bank reports, or upload the bank's results file.".to_owned();
            show_run(&v, id, Form::new(), None, StatusCode::OK, Some(notice)).await
        }
        Err(status) => show_run(&v, id, form, None, status, None).await,
    }
}

/// How a line is marked from the run's page: the field beside the line that gives the
/// date paid or the reason it failed, what the page says once it is marked, and the rule.
struct Marking {
    name: &'static str,
    notice: &'static str,
    apply: MarkLine,
}

/// Marks line `line` of run `id` with what its field says.
type MarkLine = fn(
    &mut DbConnection,
    NaiveDateTime,
    &CurrentUser,
    i64,
    i64,
    String,
) -> Result<PaymentRun, ApiError>;

const PAID: Marking = Marking {
    name: "paid_on",
    notice: "The line is marked paid.",
    apply: |conn, now, user, id, line, paid_on| {
        marking::mark_paid(conn, now, user, id, line, &MarkPaidInput { paid_on })
    },
};

const FAILED: Marking = Marking {
    name: "reason",
    notice: "The line is marked failed. Its payment goes back to the queue for the next run.",
    apply: |conn, now, user, id, line, reason| {
        marking::mark_failed(conn, now, user, id, line, &MarkFailedInput { reason })
    },
};

/// Marks one line from its own field of the run's page (`<name>-<line>`), then shows the run
/// with the marking's notice, or with the field's problem beside that line.
async fn mark(
    v: Visitor,
    path: web::Path<(i64, i64)>,
    body: web::Bytes,
    how: &Marking,
) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    let (id, line) = path.into_inner();
    let mut form = v.form(&body)?;
    let field = format!("{}-{line}", how.name);
    let value = form.value(&field).to_owned();
    let apply = how.apply;
    let marked = v
        .change(&mut form, move |conn, now| {
            apply(conn, now, &user, id, line, value)
        })
        .await?;
    match marked {
        Ok(_) => {
            let notice = Some(how.notice.to_owned());
            show_run(&v, id, Form::new(), None, StatusCode::OK, notice).await
        }
        Err(status) => {
            form.move_error(how.name, &field);
            show_run(&v, id, form, Some(line), status, None).await
        }
    }
}

pub(super) async fn mark_paid(
    v: Visitor,
    path: web::Path<(i64, i64)>,
    body: web::Bytes,
) -> PageResult {
    mark(v, path, body, &PAID).await
}

pub(super) async fn mark_failed(
    v: Visitor,
    path: web::Path<(i64, i64)>,
    body: web::Bytes,
) -> PageResult {
    mark(v, path, body, &FAILED).await
}

/// Puts every problem of a results file beside the file input, naming its row and column.
fn file_problems(form: &mut Form, error: ApiError) -> Result<StatusCode, crate::portal::PageError> {
    match error {
        ApiError::Validation(errors) => {
            for e in errors {
                let message = match e
                    .field
                    .strip_prefix("rows.")
                    .and_then(|r| r.split_once('.'))
                {
                    Some((row, column)) => format!("Row {row}, {column}: {}", e.message),
                    None => format!("The file {}", e.message),
                };
                form.reject("file", &message);
            }
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        other => {
            let status = form.refused(other)?;
            form.move_error("", "file");
            Ok(status)
        }
    }
}

/// Marks the run's lines from the bank's results file, all or none.
pub(super) async fn upload_results(
    v: Visitor,
    id: web::Path<i64>,
    req: HttpRequest,
    payload: Multipart,
) -> PageResult {
    let user = v.require(Action::PreparePayments)?;
    v.from_own_pages()?;
    let id = id.into_inner();
    let mut form = Form::new();
    let limit = v.state.settings.max_upload_bytes;
    let upload = match receive(&req, payload, limit).await {
        Ok(upload) => upload,
        Err(error) => {
            let status = file_problems(&mut form, error)?;
            return show_run(&v, id, form, None, status, None).await;
        }
    };
    v.check_csrf(upload.other(CSRF_FIELD).unwrap_or_default())?;
    let Some(file) = upload.file else {
        form.reject("file", "Choose the bank's results file");
        return show_run(&v, id, form, None, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let bytes = std::fs::read(&file.file).map_err(ApiError::internal)?;
    let now = v.state.clock.now_naive();
    let marked = v
        .read(move |conn| marking::apply_results(conn, now, &user, id, &bytes))
        .await;
    match marked {
        Ok(run) => {
            let notice = format!(
                "The results are recorded: {} paid so far, {} failed, {} still waiting.",
                crate::portal::pounds(&run.paid),
                run.failed,
                run.pending
            );
            show_run(&v, id, Form::new(), None, StatusCode::OK, Some(notice)).await
        }
        Err(error) => {
            let status = file_problems(&mut form, error)?;
            show_run(&v, id, form, None, status, None).await
        }
    }
}
