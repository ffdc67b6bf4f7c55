//! Every code the service answers, each with its stable text, its HTTP status and what it means.
//!
//! The table below is the only list of codes: [`ApiError`](super::ApiError) carries them, its
//! status comes from them, and the contract's descriptions of error responses are checked
//! against them and explained from them.

use actix_web::http::StatusCode;

/// Where a code is named in the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Named by the error responses of the operations that answer it.
    Operations,
    /// Answered by the service for any request, whatever the operation: listed only with the
    /// `Problem` schema.
    Anywhere,
    /// Answered only by the portal's pages, never by the API.
    Portal,
    /// Used inside the service and never answered.
    Internal,
}

macro_rules! codes {
    ($($name:ident = $text:literal, $status:ident, $reach:ident, $meaning:literal;)*) => {
        /// A stable, machine-readable code of a problem.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(
                #[doc = $meaning]
                $name,
            )*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// The code as clients read it in `code`, in `snake_case`; it never changes.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $text,)*
                }
            }

            /// The HTTP status every problem with this code is answered with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$name => StatusCode::$status,)*
                }
            }

            /// What the code means, in one sentence.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $meaning,)*
                }
            }

            /// Where the contract names the code.
            pub const fn reach(self) -> Reach {
                match self {
                    $(ErrorCode::$name => Reach::$reach,)*
                }
            }
        }
    };
}

codes! {
    MalformedJson = "malformed_json", BAD_REQUEST, Operations,
        "The body is not JSON of the expected shape.";
    InvalidQuery = "invalid_query", BAD_REQUEST, Operations,
        "The query string could not be read.";
    UnreadableBody = "unreadable_body", BAD_REQUEST, Operations,
        "The request body could not be read to its end.";
    InvalidIdempotencyKey = "invalid_idempotency_key", BAD_REQUEST, Operations,
        "The Idempotency-Key header is not 1 to 255 visible ASCII characters.";
    ResetTokenInvalid = "reset_token_invalid", BAD_REQUEST, Operations,
        "The password reset token is unknown, used or expired.";
    InvalidResponse = "invalid_response", BAD_REQUEST, Portal,
        "The answer to an offer is neither to accept nor to decline it.";
    MissingToken = "missing_token", UNAUTHORIZED, Operations,
        "No bearer token was sent.";
    InvalidToken = "invalid_token", UNAUTHORIZED, Operations,
        "The access token is not one the service issued.";
    TokenExpired = "token_expired", UNAUTHORIZED, Operations,
        "The access token has expired.";
    AccountDisabled = "account_disabled", UNAUTHORIZED, Operations,
        "The account has been disabled.";
    InvalidCredentials = "invalid_credentials", UNAUTHORIZED, Operations,
        "The email or password is not right.";
    InvalidRefreshToken = "invalid_refresh_token", UNAUTHORIZED, Operations,
        "The refresh token is unknown or expired.";
    RefreshTokenReused = "refresh_token_reused", UNAUTHORIZED, Operations,
        "The refresh token was already used, so every session of its family is ended.";
    Forbidden = "forbidden", FORBIDDEN, Operations,
        "The caller's role does not allow this.";
    MfaEnrolmentRequired = "mfa_enrolment_required", FORBIDDEN, Anywhere,
        "The caller's role must sign in with a second factor, so nothing but enrolling one is allowed until it is set up.";
    StepUpRequired = "step_up_required", FORBIDDEN, Operations,
        "This action needs a code from the authenticator app entered within the last 10 minutes (`POST /auth/step-up`).";
    InvalidMfaCode = "invalid_mfa_code", UNAUTHORIZED, Operations,
        "The code or recovery code is not right, was already used, or the sign-in challenge has expired.";
    NotFound = "not_found", NOT_FOUND, Operations,
        "Nothing is here, or it is not visible to the caller.";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, Anywhere,
        "The path exists but does not answer this method, and `Allow` lists those it does.";
    InvalidState = "invalid_state", CONFLICT, Operations,
        "The object is in a state that does not allow this, and the detail names its state.";
    AlreadyExists = "already_exists", CONFLICT, Anywhere,
        "Something with the same unique value already exists.";
    AlreadyAssigned = "already_assigned", CONFLICT, Operations,
        "The assessor is already assigned to this application.";
    AlreadyDecided = "already_decided", CONFLICT, Operations,
        "The application has already been decided.";
    AlreadyReleased = "already_released", CONFLICT, Operations,
        "The instalment has already been released.";
    AlreadyRequested = "already_requested", CONFLICT, Operations,
        "The release of this instalment has already been requested.";
    AlreadyVerified = "already_verified", CONFLICT, Operations,
        "The organisation is already verified.";
    ApplicationExists = "application_exists", CONFLICT, Operations,
        "The organisation already has a draft or submitted application to this round.";
    ApplicationNotSubmitted = "application_not_submitted", CONFLICT, Operations,
        "The application is not submitted.";
    AssessmentsIncomplete = "assessments_incomplete", CONFLICT, Operations,
        "Not every assessment of the application is submitted or conflicted.";
    AwardNotAccepted = "award_not_accepted", CONFLICT, Operations,
        "The award has not been accepted.";
    AwardNotActive = "award_not_active", CONFLICT, Operations,
        "The award is not accepted, or has been completed or terminated.";
    BankDetailsUnverified = "bank_details_unverified", CONFLICT, Operations,
        "The organisation has no bank details, or a change to them awaits a second person's check, so nothing can be paid to it.";
    ClaimStatusMismatch = "claim_status_mismatch", CONFLICT, Operations,
        "The claim is not at the step this action is for, such as certifying a draft or approving a claim referred to counter fraud.";
    ConflictNotDeclared = "conflict_not_declared", CONFLICT, Operations,
        "The assessor has not yet declared whether they have a conflict of interest.";
    CriteriaFrozen = "criteria_frozen", CONFLICT, Operations,
        "Scores exist for this round, so its criteria cannot change.";
    EarlierInstalmentUnpaid = "earlier_instalment_unpaid", CONFLICT, Operations,
        "An instalment of an earlier year has not been released yet.";
    DocumentLocked = "document_locked", CONFLICT, Operations,
        "The documents of a submitted application or return, or of an award no longer running, cannot change.";
    EmailTaken = "email_taken", CONFLICT, Operations,
        "Another account uses this email address.";
    FamilyCapExceeded = "family_cap_exceeded", CONFLICT, Operations,
        "Approving the claim would take what the family is approved for the stay past the fund's cap for one family.";
    FundCodeTaken = "fund_code_taken", CONFLICT, Operations,
        "Another fund uses this code.";
    FundKindMismatch = "fund_kind_mismatch", CONFLICT, Operations,
        "The fund is of the other kind: rounds belong to grant funds, units and rates to family-expenses funds.";
    FundLimitExceeded = "fund_limit_exceeded", CONFLICT, Operations,
        "The award does not fit in what remains of the limit of one or more financial years.";
    InstalmentNotMovable = "instalment_not_movable", CONFLICT, Operations,
        "An instalment the variation would change has been paid or its release requested, so it can no longer move.";
    LastAdministrator = "last_administrator", CONFLICT, Operations,
        "This would leave the service without an active administrator.";
    LineAlreadyMarked = "line_already_marked", CONFLICT, Operations,
        "The line of the payment run is already marked paid or failed.";
    LimitBelowCommitted = "limit_below_committed", CONFLICT, Operations,
        "More than the new limit is already committed in that financial year.";
    NotAssessed = "not_assessed", CONFLICT, Operations,
        "The application has no submitted assessment yet.";
    NothingToPay = "nothing_to_pay", CONFLICT, Operations,
        "No authorised payment can go into a new payment run: none waits, or every one waits for its organisation's bank details to be verified.";
    OrganisationExists = "organisation_exists", CONFLICT, Operations,
        "Another organisation has this charity number.";
    OrganisationNotVerified = "organisation_not_verified", CONFLICT, Operations,
        "The applicant organisation is not verified yet.";
    PeriodNotEnded = "period_not_ended", CONFLICT, Operations,
        "The period of the return has not ended yet.";
    PreApprovalDecided = "pre_approval_decided", CONFLICT, Operations,
        "The journey's request has already been approved or refused.";
    ReferenceTaken = "reference_taken", CONFLICT, Operations,
        "Another award took the same reference at the same moment, so try again.";
    ReleaseNotRequested = "release_not_requested", CONFLICT, Operations,
        "Nobody has requested the release of this instalment, so there is nothing to authorise.";
    ReminderTaken = "reminder_taken", CONFLICT, Internal,
        "Another run of the jobs has already sent this reminder.";
    ReturnNotAccepted = "return_not_accepted", CONFLICT, Operations,
        "The monitoring return of the previous period has not been accepted yet.";
    RunClosed = "run_closed", CONFLICT, Operations,
        "The payment run is already closed.";
    RunOpen = "run_open", CONFLICT, Operations,
        "The payment run is still open: its lines are marked once it is closed and sent to the bank.";
    RoundClosed = "round_closed", CONFLICT, Operations,
        "The round has closed.";
    RoundOpen = "round_open", CONFLICT, Operations,
        "The round has opened, so this cannot change.";
    SamePerson = "same_person", CONFLICT, Operations,
        "The person who entered or requested this cannot also check or authorise it: a second person must.";
    TooManyCriteria = "too_many_criteria", CONFLICT, Operations,
        "The round already has the most criteria it may have.";
    VariationStale = "variation_stale", CONFLICT, Operations,
        "The award has changed since the variation was asked, so it must be asked again on the award as it is now.";
    YearNotApproved = "year_not_approved", CONFLICT, Operations,
        "A financial year of the award has no approved limit in the fund.";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, Operations,
        "The body is larger than the service accepts.";
    FileTooLarge = "file_too_large", PAYLOAD_TOO_LARGE, Operations,
        "The uploaded file is larger than the service accepts, and `detail` gives the limit.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, Operations,
        "The body is not JSON (Content-Type: application/json).";
    FileTypeNotAllowed = "file_type_not_allowed", UNSUPPORTED_MEDIA_TYPE, Operations,
        "The file's content is none of PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS, CSV or plain text.";
    MultipartExpected = "multipart_expected", UNSUPPORTED_MEDIA_TYPE, Operations,
        "The body is not a form upload (Content-Type: multipart/form-data).";
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, Operations,
        "One or more fields are invalid, and every one is listed in `errors`.";
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY, Operations,
        "This Idempotency-Key was used for a different request.";
    TooManyRequests = "too_many_requests", TOO_MANY_REQUESTS, Operations,
        "Too many attempts from this client or for this target, so wait for `Retry-After` seconds.";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, Operations,
        "A fault of the service, which is logged, and no details are given.";
    ServiceUnavailable = "service_unavailable", SERVICE_UNAVAILABLE, Operations,
        "The database cannot be reached right now, so retry after `Retry-After` seconds.";
    WriteConflict = "write_conflict", SERVICE_UNAVAILABLE, Operations,
        "Simultaneous writes kept meeting this one and nothing was changed, so retry after `Retry-After` seconds.";
    StorageUnavailable = "storage_unavailable", SERVICE_UNAVAILABLE, Operations,
        "The document store cannot be reached right now and nothing was changed, so retry after `Retry-After` seconds.";
}

impl ErrorCode {
    /// The code whose text is `text`.
    pub fn from_text(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

/// A description of an error response, checked against the table and completed from it.
#[derive(Debug, PartialEq, Eq)]
pub struct Described {
    /// The description, with each code that was named without an explanation of its own
    /// followed by its meaning.
    pub text: String,
    /// The codes it names, in order.
    pub codes: Vec<ErrorCode>,
}

/// Reads the description of an error response answered with `status`: clauses apart by `; `,
/// each either plain text or a list of codes in backticks (`` `a` ``, `` `a`, `b` or `c` ``)
/// followed by `: ` and their explanation, or by nothing. A code must be in the table and have
/// `status`. Codes named alone get their meaning from the table, each as its own clause.
pub fn describe(description: &str, status: u16) -> Result<Described, String> {
    let mut clauses = Vec::new();
    let mut codes = Vec::new();
    for clause in description.split("; ") {
        let Some((named, explanation)) = named_codes(clause) else {
            clauses.push(clause.to_owned());
            continue;
        };
        let mut found = Vec::new();
        for text in named {
            let code = ErrorCode::from_text(text)
                .ok_or_else(|| format!("`{text}` is not an error code"))?;
            if code.status().as_u16() != status {
                return Err(format!(
                    "`{text}` is answered with {}, not {status}",
                    code.status().as_u16()
                ));
            }
            found.push(code);
        }
        match explanation {
            Some(_) => clauses.push(clause.to_owned()),
            None => clauses.extend(found.iter().map(|code| code.explained())),
        }
        codes.extend(found);
    }
    Ok(Described {
        text: clauses.join("; "),
        codes,
    })
}

/// The codes a clause starts with and the explanation after them, if it starts with a code.
fn named_codes(clause: &str) -> Option<(Vec<&str>, Option<&str>)> {
    let mut rest = clause.strip_prefix('`')?;
    let mut named = Vec::new();
    loop {
        let (code, after) = rest.split_once('`')?;
        named.push(code);
        if after.is_empty() {
            return Some((named, None));
        }
        if let Some(explanation) = after.strip_prefix(": ") {
            return Some((named, Some(explanation)));
        }
        rest = after
            .strip_prefix(", `")
            .or_else(|| after.strip_prefix(" or `"))?;
    }
}

impl ErrorCode {
    /// `` `code`: `` and the meaning, as a clause of a description.
    fn explained(self) -> String {
        let meaning = self.meaning().trim_end_matches('.');
        let mut chars = meaning.chars();
        let first = chars.next().map(|c| c.to_lowercase().collect::<String>());
        format!(
            "`{}`: {}{}",
            self.as_str(),
            first.unwrap_or_default(),
            chars.as_str()
        )
    }

    /// The description of the `code` property of a problem: every code the service answers,
    /// with its status and meaning.
    pub fn schema_description() -> String {
        let mut text = String::from(
            "A stable, machine-readable code; clients match on it. Each code is always answered \
             with the same status:\n",
        );
        for code in ErrorCode::ALL {
            let reach = match code.reach() {
                Reach::Operations => "",
                Reach::Anywhere => ", any operation",
                Reach::Portal => ", the portal's pages only",
                Reach::Internal => continue,
            };
            text.push_str(&format!(
                "\n- `{}` ({}{reach}): {}",
                code.as_str(),
                code.status().as_u16(),
                code.meaning()
            ));
        }
        text
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_snake_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(
                text.split('_')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{text} is not snake_case"
            );
            assert!(seen.insert(text), "{text} is listed twice");
            assert_eq!(ErrorCode::from_text(text), Some(*code));
            assert!(code.meaning().ends_with('.'), "{text}: {}", code.meaning());
            assert!(!code.meaning().contains(';'), "{text}: one sentence");
        }
        assert_eq!(ErrorCode::from_text("no_such_code"), None);
    }

    #[test]
    fn each_code_has_its_status() {
        use ErrorCode as C;
        let cases = [
            (C::MalformedJson, 400),
            (C::InvalidQuery, 400),
            (C::InvalidIdempotencyKey, 400),
            (C::ResetTokenInvalid, 400),
            (C::MissingToken, 401),
            (C::InvalidToken, 401),
            (C::AccountDisabled, 401),
            (C::RefreshTokenReused, 401),
            (C::Forbidden, 403),
            (C::StepUpRequired, 403),
            (C::MfaEnrolmentRequired, 403),
            (C::InvalidMfaCode, 401),
            (C::NotFound, 404),
            (C::MethodNotAllowed, 405),
            (C::InvalidState, 409),
            (C::AlreadyExists, 409),
            (C::FundLimitExceeded, 409),
            (C::YearNotApproved, 409),
            (C::PayloadTooLarge, 413),
            (C::UnsupportedMediaType, 415),
            (C::ValidationFailed, 422),
            (C::IdempotencyKeyReused, 422),
            (C::TooManyRequests, 429),
            (C::InternalError, 500),
            (C::ServiceUnavailable, 503),
            (C::WriteConflict, 503),
        ];
        for (code, status) in cases {
            assert_eq!(code.status().as_u16(), status, "{code}");
        }
        for code in ErrorCode::ALL {
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code}: {status}"
            );
        }
    }

    #[test]
    fn descriptions_are_checked_and_completed_from_the_table() {
        let described = describe(
            "`email_taken` or `organisation_exists`; `invalid_state`: not a draft; see `x`",
            409,
        );
        assert_eq!(
            described,
            Ok(Described {
                text: "`email_taken`: another account uses this email address; \
                       `organisation_exists`: another organisation has this charity number; \
                       `invalid_state`: not a draft; see `x`"
                    .to_owned(),
                codes: vec![
                    ErrorCode::EmailTaken,
                    ErrorCode::OrganisationExists,
                    ErrorCode::InvalidState
                ],
            })
        );
        assert!(describe("`no_such_code`", 409).is_err());
        assert!(describe("`malformed_json`: unreadable", 409).is_err());
        assert!(describe("`invalid_state`", 400).is_err());
        let prose = describe("`years` lists them", 409).map(|d| d.codes.len());
        assert_eq!(prose, Ok(0), "a name followed by prose is not a code");
        let once = describe("`email_taken`", 409).map(|d| d.text);
        let twice = once.as_deref().map(|t| describe(t, 409).map(|d| d.text));
        assert_eq!(twice, Ok(once.clone()), "describing again changes nothing");
    }

    /// Clients match on these texts: none may change.
    #[test]
    fn the_texts_clients_match_on_are_unchanged() {
        let texts: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let published = [
            "account_disabled",
            "already_assigned",
            "already_decided",
            "already_exists",
            "already_released",
            "already_verified",
            "application_exists",
            "application_not_submitted",
            "assessments_incomplete",
            "award_not_accepted",
            "award_not_active",
            "conflict_not_declared",
            "criteria_frozen",
            "earlier_instalment_unpaid",
            "email_taken",
            "forbidden",
            "fund_code_taken",
            "fund_limit_exceeded",
            "idempotency_key_reused",
            "internal_error",
            "invalid_credentials",
            "invalid_idempotency_key",
            "invalid_query",
            "invalid_refresh_token",
            "invalid_response",
            "invalid_state",
            "invalid_token",
            "last_administrator",
            "limit_below_committed",
            "malformed_json",
            "method_not_allowed",
            "missing_token",
            "not_assessed",
            "not_found",
            "organisation_exists",
            "organisation_not_verified",
            "payload_too_large",
            "period_not_ended",
            "reference_taken",
            "refresh_token_reused",
            "reminder_taken",
            "reset_token_invalid",
            "return_not_accepted",
            "round_closed",
            "round_open",
            "service_unavailable",
            "token_expired",
            "too_many_criteria",
            "too_many_requests",
            "unreadable_body",
            "unsupported_media_type",
            "validation_failed",
            "write_conflict",
            "year_not_approved",
        ];
        for text in published {
            assert!(texts.contains(&text), "{text} is no longer answered");
        }
    }
}
