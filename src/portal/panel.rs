//! Pages for assessors: their assignments, the conflict-of-interest declaration, and the
//! scoring form with each criterion's guidance.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use super::form::{Choice, Form};
use super::public::LIST;
use super::{Layout, PageError, PageResult, Visitor, see_other};
use crate::applications::model::Application;
use crate::applications::service as applications;
use crate::assessment::model::{
    ApplicationAssessment, Assignment, AssignmentStatus, ConflictDeclaration, ScoreInput,
    ScoreSheet,
};
use crate::assessment::scoring;
use crate::assessment::service::{self as assessment, AssignmentFilter};
use crate::caller::CurrentUser;
use crate::error::ApiError;
use crate::permissions::Action;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assessments", web::get().to(assignment_list))
        .route("/assessments/{id}", web::get().to(assignment_page))
        .route("/assessments/{id}/declaration", web::post().to(declare))
        .route("/assessments/{id}/scores", web::post().to(score));
}

#[derive(Template)]
#[template(path = "portal/assignments.html")]
struct Assignments {
    layout: Layout,
    assignments: Vec<Assignment>,
}

async fn own_assignments(v: &Visitor, user: CurrentUser) -> Result<Vec<Assignment>, ApiError> {
    let filter = AssignmentFilter {
        status: None,
        round_id: None,
        assessor_id: None,
    };
    Ok(
        v.read(move |conn| assessment::list(conn, &user, &filter, LIST))
            .await?
            .items,
    )
}

async fn assignment_list(v: Visitor) -> PageResult {
    let user = v.require(Action::Score)?;
    let assignments = own_assignments(&v, user).await?;
    Ok(v.page(&Assignments {
        layout: v.layout("Your assessments", "/assessments"),
        assignments,
    }))
}

#[derive(Template)]
#[template(path = "portal/assignment.html")]
struct AssignmentPage {
    layout: Layout,
    form: Form,
    assignment: Assignment,
    application: Option<Application>,
    assessment: Option<ApplicationAssessment>,
    yes_no: Vec<Choice>,
}

impl AssignmentPage {
    fn pending(&self) -> bool {
        self.assignment.status == AssignmentStatus::Pending
    }

    fn scoring(&self) -> bool {
        self.assignment.status == AssignmentStatus::InProgress
    }

    /// The score choices of a criterion: 0 to its top score.
    fn scale(&self, max: &i32) -> Vec<Choice> {
        let mut choices = vec![Choice::new("", "Choose a score")];
        choices.extend((0..=*max).map(|n| Choice::new(n.to_string(), n.to_string())));
        choices
    }
}

/// An assignment of the signed-in assessor, with the application and the scores so far once
/// they have declared no conflict.
async fn load(v: &Visitor, id: i64, form: Option<Form>) -> Result<AssignmentPage, PageError> {
    let user = v.require(Action::Score)?;
    let assignment = own_assignments(v, user.clone())
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(ApiError::NotFound)?;
    let readable = matches!(
        assignment.status,
        AssignmentStatus::InProgress | AssignmentStatus::Submitted
    );
    let application_id = assignment.application_id;
    let (application, assessment) = if readable {
        let (a, s) = v
            .read(move |conn| {
                Ok((
                    applications::get(conn, &user, application_id)?,
                    scoring::view(conn, &user, application_id)?,
                ))
            })
            .await?;
        (Some(a), Some(s))
    } else {
        (None, None)
    };
    let form = match form {
        Some(form) => form,
        None => {
            let mut form = Form::new();
            if let Some(own) = assessment
                .as_ref()
                .and_then(|s| s.assessments.iter().find(|a| a.assignment_id == id))
            {
                for score in &own.scores {
                    form.set(
                        &format!("score.{}", score.criterion_id),
                        score.score.to_string(),
                    );
                    form.set(
                        &format!("comment.{}", score.criterion_id),
                        score.comment.clone().unwrap_or_default(),
                    );
                }
            }
            form
        }
    };
    Ok(AssignmentPage {
        layout: v.layout(assignment.application_title.clone(), "/assessments"),
        form,
        assignment,
        application,
        assessment,
        yes_no: vec![
            Choice::new("no", "No, I have no conflict of interest"),
            Choice::new("yes", "Yes, I have a conflict of interest"),
        ],
    })
}

async fn assignment_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let page = load(&v, id.into_inner(), None).await?;
    Ok(v.page(&page))
}

async fn declare(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Score)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let has_conflict = match form.value("has_conflict") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let status = match has_conflict {
        None => {
            form.reject(
                "has_conflict",
                "Say whether you have a conflict of interest",
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(has_conflict) => {
            let declaration = ConflictDeclaration {
                has_conflict,
                reason: form.optional("reason"),
            };
            let declared = v
                .change(&mut form, move |conn, now| {
                    assessment::declare(conn, now, &user, id, &declaration)
                })
                .await?;
            match declared {
                Ok(_) => return Ok(see_other(&format!("/assessments/{id}"))),
                Err(status) => status,
            }
        }
    };
    let page = load(&v, id, Some(form)).await?;
    Ok(v.with_status(status, &page))
}

async fn score(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Score)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let page = load(&v, id, None).await?;
    let criteria = page
        .assessment
        .as_ref()
        .map(|s| s.criteria.clone())
        .unwrap_or_default();
    let submit = form.value("action") == "submit";
    let mut scores = Vec::new();
    for criterion in &criteria {
        let name = format!("score.{}", criterion.id);
        let comment = form.optional(&format!("comment.{}", criterion.id));
        match form.value(&name).parse::<i64>() {
            Ok(score) => scores.push(ScoreInput {
                criterion_id: criterion.id,
                score,
                comment,
            }),
            Err(_) if submit => {
                form.reject(&name, &format!("Choose a score for {}", criterion.name))
            }
            Err(_) => {}
        }
    }
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let criteria_sent: Vec<i64> = scores.iter().map(|s| s.criterion_id).collect();
        let sheet = ScoreSheet { scores };
        let saved = v
            .change(&mut form, move |conn, now| {
                if !sheet.scores.is_empty() {
                    scoring::save_scores(conn, now, &user, id, &sheet)?;
                }
                if submit {
                    scoring::submit(conn, now, &user, id)?;
                }
                Ok(())
            })
            .await?;
        match saved {
            Ok(()) => return Ok(see_other(&format!("/assessments/{id}"))),
            Err(status) => {
                // The service numbers the sheet's scores; the form names them by criterion.
                for (i, criterion) in criteria_sent.iter().enumerate() {
                    for part in ["score", "comment"] {
                        form.move_error(
                            &format!("scores[{i}].{part}"),
                            &format!("{part}.{criterion}"),
                        );
                    }
                }
                status
            }
        }
    };
    let page = AssignmentPage { form, ..page };
    Ok(v.with_status(status, &page))
}
