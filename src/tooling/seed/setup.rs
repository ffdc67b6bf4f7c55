//! The fund, its staff and the organisations that apply.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rand::Rng;

use crate::auth::{password, tokens};
use crate::db::schema::{fund_years, funds, organisation_health_boards, organisations, users};
use crate::db::{DbConnection, batch};
use crate::domain::vocabulary::{HealthBoard, OrganisationType, Role};
use crate::error::ApiError;
use crate::report_cache;

use super::{ASSESSORS, Generator, YEARS, failed, rows_per_statement, year};

impl Generator {
    pub(super) fn fund(
        &mut self,
        conn: &mut DbConnection,
        first_year: i32,
    ) -> Result<i64, ApiError> {
        let existing: i64 = funds::table
            .filter(funds::code.like("SCALE%"))
            .count()
            .get_result(conn)?;
        let code = format!("SCALE{}", existing + 1);
        let start = year(first_year)?.first_day();
        let end = year(first_year + YEARS - 1)?.last_day();
        let fund_id: i64 = diesel::insert_into(funds::table)
            .values((
                funds::name.eq(format!("Scale test fund {}", existing + 1)),
                funds::code.eq(&code),
                funds::funder_name.eq("Scottish Government"),
                funds::funder_org_id.eq("GB-GOR-PB188"),
                funds::administrator_name.eq("Inspiring Scotland"),
                funds::administrator_org_id.eq("GB-SC-SC037048"),
                funds::currency.eq("GBP"),
                funds::programme_start.eq(start),
                funds::programme_end.eq(end),
                funds::reach_target.eq(5_500_000_i64),
                funds::created_at.eq(self.now),
                funds::updated_at.eq(self.now),
            ))
            .returning(funds::id)
            .get_result(conn)?;
        report_cache::start(conn, fund_id)?;
        for offset in 0..YEARS {
            diesel::insert_into(fund_years::table)
                .values((
                    fund_years::fund_id.eq(fund_id),
                    fund_years::financial_year.eq(year(first_year + offset)?.to_string()),
                    // Raised to what is committed once the awards are written.
                    fund_years::limit_pence.eq(i64::MAX / 4),
                    fund_years::approved.eq(true),
                    fund_years::committed_pence.eq(0_i64),
                    fund_years::paid_pence.eq(0_i64),
                    fund_years::created_at.eq(self.now),
                    fund_years::updated_at.eq(self.now),
                ))
                .execute(conn)?;
        }
        self.seeded.fund_code = code;
        Ok(fund_id)
    }

    /// Seeded accounts share one password hash of a random password nobody is told: they exist
    /// to own rows, not to sign in.
    pub(super) fn sealed_hash() -> Result<String, ApiError> {
        password::hash(&tokens::generate()?)
    }

    pub(super) fn user_rows(
        &self,
        conn: &mut DbConnection,
        people: &[(String, String, Role, Option<i64>)],
        hash: &str,
    ) -> Result<Vec<i64>, ApiError> {
        let mut ids = Vec::with_capacity(people.len());
        for chunk in people.chunks(rows_per_statement(9)) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(email, name, role, organisation)| {
                    (
                        users::email.eq(email),
                        users::name.eq(name),
                        users::role.eq(*role),
                        users::organisation_id.eq(*organisation),
                        users::password_hash.eq(hash),
                        users::active.eq(true),
                        users::password_changed_at.eq(self.now),
                        users::created_at.eq(self.now),
                        users::updated_at.eq(self.now),
                    )
                })
                .collect();
            let got: Vec<(i64, String)> =
                batch!(conn, users::table, rows, returning(users::id, users::email))?;
            let by_email: BTreeMap<String, i64> = got.into_iter().map(|(i, e)| (e, i)).collect();
            for (email, ..) in chunk {
                ids.push(
                    *by_email
                        .get(email)
                        .ok_or_else(|| failed("user not returned"))?,
                );
            }
        }
        Ok(ids)
    }

    pub(super) fn run_tag(&self) -> String {
        self.seeded.fund_code.to_lowercase()
    }

    pub(super) fn staff(&mut self, conn: &mut DbConnection) -> Result<(i64, Vec<i64>), ApiError> {
        let hash = Self::sealed_hash()?;
        let tag = self.run_tag();
        let mut people = vec![(
            format!("administrator@{tag}.example.org"),
            "Scale administrator".to_owned(),
            Role::Administrator,
            None,
        )];
        for i in 0..ASSESSORS {
            people.push((
                format!("assessor{i}@{tag}.example.org"),
                format!("Scale assessor {i}"),
                Role::Assessor,
                None,
            ));
        }
        let ids = self.user_rows(conn, &people, &hash)?;
        Ok((ids[0], ids[1..].to_vec()))
    }

    #[allow(clippy::type_complexity)]
    pub(super) fn organisations(
        &mut self,
        conn: &mut DbConnection,
        count: usize,
    ) -> Result<(Vec<i64>, Vec<i64>, Vec<Vec<HealthBoard>>), ApiError> {
        let tag = self.run_tag();
        let existing: i64 = organisations::table.count().get_result(conn)?;
        let mut ids = Vec::with_capacity(count);
        let numbers: Vec<String> = (0..count)
            .map(|i| format!("SC{:07}", 1_000_000 + existing as usize + i))
            .collect();
        for (c, chunk) in numbers.chunks(rows_per_statement(13)).enumerate() {
            let base = c * rows_per_statement(13);
            let rows: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(k, number)| {
                    let i = base + k;
                    (
                        organisations::name.eq(format!("Scale organisation {i}")),
                        organisations::organisation_type.eq(OrganisationType::Charity),
                        organisations::charity_number.eq(Some(number.clone())),
                        organisations::annual_income_pence
                            .eq(5_000_000 + (i as i64 % 97) * 1_000_000),
                        organisations::address.eq(Some(format!("{i} High Street"))),
                        organisations::postcode.eq("EH1 1AA"),
                        organisations::website
                            .eq(Some(format!("https://org{i}.{tag}.example.org"))),
                        organisations::contact_email.eq(format!("contact{i}@{tag}.example.org")),
                        organisations::verified.eq(true),
                        organisations::verified_at.eq(Some(self.now)),
                        organisations::created_at.eq(self.now),
                        organisations::updated_at.eq(self.now),
                        organisations::listed_in_directory.eq(i % 6 != 4),
                    )
                })
                .collect();
            let got: Vec<(i64, Option<String>)> = batch!(
                conn,
                organisations::table,
                rows,
                returning(organisations::id, organisations::charity_number)
            )?;
            let by_number: BTreeMap<String, i64> = got
                .into_iter()
                .filter_map(|(id, n)| n.map(|n| (n, id)))
                .collect();
            for number in chunk {
                ids.push(
                    *by_number
                        .get(number)
                        .ok_or_else(|| failed("organisation not returned"))?,
                );
            }
        }
        let mut boards = Vec::with_capacity(count);
        let mut board_rows = Vec::new();
        for id in &ids {
            let n = if self.rng.random_ratio(1, 5) { 2 } else { 1 };
            let chosen = self.some(HealthBoard::ALL, n);
            for b in &chosen {
                board_rows.push((
                    organisation_health_boards::organisation_id.eq(*id),
                    organisation_health_boards::health_board.eq(*b),
                ));
            }
            boards.push(chosen);
        }
        for chunk in board_rows.chunks(rows_per_statement(2)) {
            batch!(conn, organisation_health_boards::table, chunk)?;
        }
        let people: Vec<(String, String, Role, Option<i64>)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    format!("applicant{i}@{tag}.example.org"),
                    format!("Scale applicant {i}"),
                    Role::Applicant,
                    Some(*id),
                )
            })
            .collect();
        let applicants = self.user_rows(conn, &people, &Self::sealed_hash()?)?;
        self.seeded.organisations = count;
        Ok((ids, applicants, boards))
    }
}
