//! The family fund's pages: a claimant registers, records the stay, asks for a taxi, adds costs
//! day by day with a receipt's photo and sends the claim; the unit's clinician answers and
//! certifies; the board's cash office confirms the bank details, decides each line and a
//! colleague pays it in a run; an official reads the totals. Every failed rule is shown beside
//! its field or its line, and each person sees only their own part.

use awc::http::StatusCode;

use grantfund::domain::vocabulary::{HealthBoard, Role};
use grantfund::users::service::Place;

use crate::db_test;
use crate::documents::PDF;
use crate::family_claims::{FamilyFund, certified, claimant, family_app, submitted_car_claim};
use crate::portal::Browser;
use crate::support::*;

/// A member of staff of the family fund, by email, to sign in to the pages.
async fn staff(app: &TestApp, role: Role, place: Place) -> String {
    let email = format!(
        "{}-{}@nhs.example.org",
        role.as_str(),
        uuid::Uuid::new_v4().simple()
    );
    app.create_user_at(role, &email, place).await;
    email
}

/// The number after `prefix` in a redirect's address: `/family/claims/7?done=sent` → 7.
fn id_after(location: &str, prefix: &str) -> i64 {
    let rest = location.strip_prefix(prefix).expect("the expected address");
    rest.split(['?', '#', '/', '"'])
        .next()
        .and_then(|id| id.parse().ok())
        .expect("an id")
}

db_test! {
    async fn a_family_claims_through_the_pages_from_registering_to_being_paid(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let clinician = staff(&app, Role::Clinician, Place { unit_id: Some(family.st_johns), ..Place::default() }).await;
        let other_clinician = staff(&app, Role::Clinician, Place { unit_id: Some(family.leverndale), ..Place::default() }).await;
        let lothian = Place { health_board: Some(HealthBoard::Lothian), ..Place::default() };
        let cash_office = staff(&app, Role::CashOffice, lothian).await;
        let colleague = staff(&app, Role::CashOffice, lothian).await;

        // Registering: every field in error at once, beside its input, in words.
        let mut claimant = Browser::new(&app);
        let page = claimant.get("/family/register").await;
        assert_eq!(page.status, StatusCode::OK);
        let refused = claimant.post("/family/register", &[("name", ""), ("email", "not an email"), ("password", "short")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        for field in ["name", "email", "password"] {
            assert!(refused.text.contains(&format!("id=\"{field}-error\"")), "{field}: {}", refused.text);
        }
        assert!(refused.text.contains("Your full name"), "{}", refused.text);
        let email = format!("claimant-{}@example.com", uuid::Uuid::new_v4().simple());
        let registered = claimant.post("/family/register", &[("name", "Calum MacLeod"), ("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(registered.status, StatusCode::SEE_OTHER, "{}", registered.text);
        assert_eq!(registered.location.as_deref(), Some("/family/stays/new"));

        // The stay: the unit and ward are one choice; every error is named.
        let form = claimant.get("/family/stays/new").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        let place = format!("{}:Mother and Baby Unit", family.st_johns);
        assert!(form.text.contains(&format!("value=\"{place}\"")), "{}", form.text);
        let refused = claimant.post("/family/stays/new", &[
            ("place", ""), ("woman.name", ""), ("woman.date_of_birth", "1994-02-11"), ("consultant", "Dr A. Reid"),
            ("admitted_on", "2022-05-02"), ("home_board", "western_isles"),
            ("children[0].first_name", "Ruaridh"), ("children[0].date_of_birth", "not a date"),
        ]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        for field in ["place", "woman.name", "children[0].date_of_birth"] {
            assert!(refused.text.contains(&format!("id=\"{field}-error\"")), "{field}: {}", refused.text);
        }
        assert!(refused.text.contains("value=\"Ruaridh\""), "what was typed is kept");
        let stay_fields = [
            ("place", place.as_str()), ("woman.name", "Morag MacLeod"), ("woman.date_of_birth", "1994-02-11"),
            ("consultant", "Dr A. Reid"), ("admitted_on", "2022-05-02"), ("home_board", "western_isles"),
            ("children[0].first_name", "Ruaridh"), ("children[0].date_of_birth", "2015-07-30"),
        ];
        let saved = claimant.post("/family/stays/new", &stay_fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
        let location = saved.location.unwrap();
        let stay = id_after(&location, "/family/stays/");
        let page = claimant.get(&location).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("Morag MacLeod") && page.text.contains("Ruaridh") && page.text.contains("£500"), "{}", page.text);
        let me = hidden_radio(&page.text, "journey.visitor_id", 0);

        // A taxi asked for, and answered by a clinician of the unit from the queue.
        let asked = claimant.post(&format!("/family/stays/{stay}/journeys"), &[
            ("journey.kind", "taxi"), ("journey.visitor_id", &me), ("journey.journey_on", "2022-06-20"), ("journey.details", ""),
        ]).await;
        assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", asked.text);
        assert!(asked.text.contains("id=\"journey.details-error\""), "{}", asked.text);
        let asked = claimant.post(&format!("/family/stays/{stay}/journeys"), &[
            ("journey.kind", "taxi"), ("journey.visitor_id", &me), ("journey.journey_on", "2022-06-20"),
            ("journey.details", "The last bus had gone"),
        ]).await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text);
        let mut unit = Browser::new(&app);
        unit.sign_in(&clinician).await;
        let queue = unit.get("/family/queue").await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
        assert!(queue.text.contains("The last bus had gone"), "{}", queue.text);
        let journey = id_after(queue.text.split("action=\"/family/journeys/").nth(1).unwrap(), "");
        let refused = unit.post(&format!("/family/journeys/{journey}"), &[("answer", "refuse")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "a refusal needs a reason: {}", refused.text);
        assert!(refused.text.contains("The reason"), "{}", refused.text);
        let answered = unit.post(&format!("/family/journeys/{journey}"), &[("answer", "approve")]).await;
        assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.text);

        // A claim, line by line: a wrong line is refused beside its inputs, nothing saved.
        let started = claimant.post(&format!("/family/stays/{stay}/claims"), &[]).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text);
        let claim_path = started.location.unwrap();
        let claim = id_after(&claim_path, "/family/claims/");
        let page = claimant.get(&claim_path).await;
        assert!(page.text.contains("Add a cost") && page.text.contains("enctype=\"multipart/form-data\""), "{}", page.text);
        let lines = format!("{claim_path}/lines");
        let bad = claimant.post_multipart(&lines, &[("spent_on", "2022-05-09"), ("visitor_id", &me), ("expense", "car"), ("amount", "20.00")], None).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert!(bad.text.contains("id=\"amount-error\"") && bad.text.contains("id=\"miles-error\""), "{}", bad.text);
        for fields in [
            vec![("spent_on", "2022-05-09"), ("visitor_id", me.as_str()), ("expense", "car"), ("miles", "100"), ("together", "yes")],
            vec![("spent_on", "2022-05-09"), ("visitor_id", me.as_str()), ("expense", "food")],
            vec![("spent_on", "2022-05-10"), ("visitor_id", me.as_str()), ("expense", "public_transport"), ("amount", "£12.40")],
        ] {
            let added = claimant.post_multipart(&lines, &fields, None).await;
            assert_eq!(added.status, StatusCode::SEE_OTHER, "{fields:?}: {}", added.text);
        }
        let journey_id = journey.to_string();
        let taxi = [("spent_on", "2022-06-20"), ("visitor_id", me.as_str()), ("expense", "taxi"), ("amount", "23.40"), ("pre_approval_id", journey_id.as_str())];
        let added = claimant.post_file(&lines, &taxi, ("taxi-receipt.pdf", PDF)).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
        let page = claimant.get(&claim_path).await;
        assert!(page.text.contains("Costs claimed: £59.30"), "15.00 by car, 8.50 food, 12.40 and 23.40: {}", page.text);
        assert!(page.text.contains("Left to claim") && page.text.contains("£440.70"), "{}", page.text);
        assert!(page.text.contains("href=\"/document-files/"), "the taxi's receipt is linked: {}", page.text);

        // Sending names the line without its receipt; removing it lets the claim go.
        let refused = claimant.post(&format!("{claim_path}/submit"), &[]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("href=\"#line-2\"") && refused.text.contains("Line 3, public transport on 10 May 2022: attach the receipt"), "{}", refused.text);
        let removed = claimant.post(&format!("{claim_path}/lines/2/remove"), &[]).await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text);
        let sent = claimant.post(&format!("{claim_path}/submit"), &[]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
        let page = claimant.get(&claim_path).await;
        assert!(page.text.contains("Waiting for the unit to confirm the dates") && !page.text.contains("Add a cost"), "{}", page.text);

        // Only the unit's clinician certifies; the other unit's sees nothing.
        let mut elsewhere = Browser::new(&app);
        elsewhere.sign_in(&other_clinician).await;
        assert_eq!(elsewhere.get(&claim_path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(elsewhere.get(&format!("/family/stays/{stay}")).await.status, StatusCode::NOT_FOUND);
        let queue = unit.get("/family/queue").await;
        assert!(queue.text.contains(&format!("href=\"/family/claims/{claim}\"")), "{}", queue.text);
        let page = unit.get(&claim_path).await;
        assert!(page.text.contains("value=\"2022-05-09\"") && page.text.contains("value=\"2022-06-20\""), "the dates are offered: {}", page.text);
        let refused = unit.post(&format!("{claim_path}/certify"), &[("resident_from", "2022-05-09"), ("resident_to", "")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("id=\"resident_to-error\""), "{}", refused.text);
        let certified = unit.post(&format!("{claim_path}/certify"), &[("resident_from", "2022-05-02"), ("resident_to", "2022-06-20")]).await;
        assert_eq!(certified.status, StatusCode::SEE_OTHER, "{}", certified.text);

        // The bank details, entered by the family and confirmed by the cash office.
        let bank = claimant.post("/family/bank-details", &[("account_name", "C MacLeod"), ("sort_code", "80-22-60"), ("account_number", "10203040")]).await;
        assert_eq!(bank.status, StatusCode::OK, "{}", bank.text);
        assert!(bank.text.contains("****3040") && !bank.text.contains("10203040"), "{}", bank.text);
        let mut board = Browser::new(&app);
        board.sign_in(&cash_office).await;
        let queue = board.get("/family/queue").await;
        assert!(queue.text.contains(&format!("href=\"/family/claims/{claim}\"")), "{}", queue.text);
        let page = board.get(&claim_path).await;
        assert!(page.text.contains("Confirm these bank details are correct"), "{}", page.text);
        let verified = board.post(&format!("{claim_path}/bank-details/verify"), &[]).await;
        assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.text);

        // Line by line: paying part needs a reason, shown beside that line.
        let page = board.get(&claim_path).await;
        let ids = line_ids(&page.text);
        assert_eq!(ids.len(), 3, "{}", page.text);
        let (car, food, taxi) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
        let outcome = |id: &str| format!("outcome-{id}");
        let amount = |id: &str| format!("amount-{id}");
        let reason = |id: &str| format!("reason-{id}");
        let refused = board.post(&format!("{claim_path}/approve"), &[
            (outcome(&car).as_str(), "full"), (outcome(&food).as_str(), "part"), (amount(&food).as_str(), "5.00"),
            (outcome(&taxi).as_str(), "full"),
        ]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains(&format!("href=\"#reason-{food}\"")), "{}", refused.text);
        let approved = board.post(&format!("{claim_path}/approve"), &[
            (outcome(&car).as_str(), "full"), (outcome(&food).as_str(), "part"), (amount(&food).as_str(), "5.00"),
            (reason(&food).as_str(), "The unit gave a meal that day"), (outcome(&taxi).as_str(), "full"),
        ]).await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
        let page = claimant.get(&claim_path).await;
        assert!(page.text.contains("Approved, waiting for payment") && page.text.contains("£43.40"), "{}", page.text);
        assert!(page.text.contains("Paid in part") && page.text.contains("The unit gave a meal that day"), "{}", page.text);

        // A colleague pays it in the board's run; the family sees it paid.
        let mut payer = Browser::new(&app);
        payer.sign_in(&colleague).await;
        let built = payer.post("/finance/payment-runs", &[]).await;
        assert_eq!(built.status, StatusCode::SEE_OTHER, "{}", built.text);
        let run_path = built.location.unwrap().split('?').next().unwrap().to_owned();
        let file = payer.get(&format!("{run_path}/lines.csv")).await;
        assert_eq!(file.status, StatusCode::OK, "{}", file.text);
        assert!(file.text.contains("80-22-60,10203040") && file.text.contains("43.40"), "{}", file.text);
        let closed = payer.post(&format!("{run_path}/close"), &[]).await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
        let line: String = file.text.lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
        let field = format!("paid_on-{line}");
        let paid = payer.post(&format!("{run_path}/lines/{line}/paid"), &[(field.as_str(), "2022-06-20")]).await;
        assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
        let home = claimant.get("/family").await;
        assert!(home.text.contains(">Paid<"), "{}", home.text);

        // Officials read the totals on the dashboard, a single family withheld.
        let official = format!("official-{}@gov.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(Role::Official, &official, None).await;
        let mut reader = Browser::new(&app);
        reader.sign_in(&official).await;
        let dashboard = reader.get(&format!("/dashboard?fund={}", family.fund)).await;
        assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.text);
        assert!(dashboard.text.contains("What the family fund paid") && dashboard.text.contains("figures are withheld"), "{}", dashboard.text);
        assert!(!dashboard.text.contains("Morag"), "no name reaches an official");
        let csv = reader.get(&format!("/dashboard/{}/family.csv", family.fund)).await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
        for path in [claim_path.as_str(), "/family/queue", "/family"] {
            assert_eq!(reader.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
    }
}

/// The value of the `index`th radio named `name` on a page.
fn hidden_radio(html: &str, name: &str, index: usize) -> String {
    let marker = format!("name=\"{name}\" type=\"radio\" value=\"");
    let start = html.match_indices(&marker).nth(index).expect("the radio").0 + marker.len();
    let rest = &html[start..];
    rest[..rest.find('"').expect("the end of the value")].to_owned()
}

/// The ids of the lines the cash office decides, in order, from their inputs' names.
fn line_ids(html: &str) -> Vec<String> {
    html.match_indices("name=\"amount-")
        .map(|(at, marker)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find('"').expect("the end of the name")].to_owned()
        })
        .collect()
}

db_test! {
    async fn a_referral_reads_to_the_family_as_still_being_checked_and_a_rejection_gives_its_reason(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let cash_office = staff(&app, Role::CashOffice, Place { health_board: Some(HealthBoard::Lothian), ..Place::default() }).await;
        let (token, email) = claimant(&app).await;
        let (stay, visitors) = crate::family_claims::stay(&app, &family, &token).await;
        let referred = submitted_car_claim(&app, &token, stay, visitors[0], "2022-05-09", 100).await;
        certified(&app, &family, referred).await;
        let rejected = submitted_car_claim(&app, &token, stay, visitors[0], "2022-05-10", 80).await;
        certified(&app, &family, rejected).await;

        let mut board = Browser::new(&app);
        board.sign_in(&cash_office).await;
        let empty = board.post(&format!("/family/claims/{referred}/refer"), &[("refer_reason", " ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.text);
        assert!(empty.text.contains("id=\"refer_reason-error\""), "{}", empty.text);
        let done = board.post(&format!("/family/claims/{referred}/refer"), &[("refer_reason", "Same receipt as another family's claim")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let page = board.get(&format!("/family/claims/{referred}")).await;
        assert!(page.text.contains("Referred to counter fraud") && !page.text.contains("Approve the claim"), "{}", page.text);
        let done = board.post(&format!("/family/claims/{rejected}/reject"), &[("reject_reason", "She was on home leave that day")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);

        let mut claimant = Browser::new(&app);
        claimant.sign_in(&email).await;
        let page = claimant.get(&format!("/family/claims/{referred}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("Being checked by the cash office"), "{}", page.text);
        assert!(!page.text.contains("counter fraud") && !page.text.contains("Same receipt"), "the family is not told: {}", page.text);
        let page = claimant.get(&format!("/family/claims/{rejected}")).await;
        assert!(page.text.contains("Not approved") && page.text.contains("She was on home leave that day"), "{}", page.text);
        app.run_outbox().await;
        let mails: Vec<String> = app.mails().into_iter().filter(|m| m.contains(&email)).collect();
        assert!(mails.iter().any(|m| m.contains("She was on home leave that day")), "the rejection says why");
        assert!(mails.iter().all(|m| !m.contains("Same receipt") && !m.contains("counter fraud")), "no email says why a claim was referred");
    }
}
