//! Closed vocabularies stored as text.
//!
//! A status or vocabulary column is `Text` in both backends and an enum in Rust. The enum
//! carries `#[derive(diesel::AsExpression, diesel::FromSqlRow)]` with
//! `#[diesel(sql_type = diesel::sql_types::Text)]`; [`text_column!`] adds the conversions,
//! generic over the backend so that they serve PostgreSQL, SQLite and the multi-connection over
//! both. It needs the type's `as_str(self) -> &'static str` and its `FromStr`.
//!
//! A stored text that is none of the enum's values is a corrupt row: reading it fails with a
//! deserialization error naming the type and the text, which the API answers as an opaque 500.

/// Stores each listed enum as its text and reads it back through `FromStr`.
macro_rules! text_column {
    ($($name:ty),+ $(,)?) => {
        $(
            impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
            where
                DB: diesel::backend::Backend,
                str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
            {
                fn to_sql<'b>(
                    &'b self,
                    out: &mut diesel::serialize::Output<'b, '_, DB>,
                ) -> diesel::serialize::Result {
                    <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                        self.as_str(),
                        out,
                    )
                }
            }

            impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
            where
                DB: diesel::backend::Backend,
                String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
            {
                fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                    let text = <String as diesel::deserialize::FromSql<
                        diesel::sql_types::Text,
                        DB,
                    >>::from_sql(bytes)?;
                    text.parse::<$name>().map_err(|error| {
                        format!(
                            "stored {} {text:?} is not a known value: {error}",
                            stringify!($name)
                        )
                        .into()
                    })
                }
            }
        )+
    };
}
pub(crate) use text_column;

use crate::domain::schedule::Reminder;
use crate::domain::vocabulary::{
    ApplicationStatus, AssignmentStatus, AwardStatus, Component, DecisionOutcome, DocumentKind,
    DocumentOwner, FundKind, HealthBoard, InstalmentStatus, ListingStatus, OrganisationType,
    PaymentKind, PaymentLineStatus, PaymentRunStatus, Respondent, ReturnFrequency, ReturnStatus,
    Role, SignInOutcome, VariationKind, VariationStatus,
};
use crate::domain::vocabulary::{
    ClaimLineKind, ClaimStatus, LineOutcome, PreApprovalKind, PreApprovalStatus, VisitorKind,
};

text_column!(
    Role,
    FundKind,
    OrganisationType,
    HealthBoard,
    Component,
    ReturnFrequency,
    ApplicationStatus,
    AssignmentStatus,
    AwardStatus,
    InstalmentStatus,
    PaymentRunStatus,
    PaymentKind,
    PaymentLineStatus,
    ReturnStatus,
    Respondent,
    DecisionOutcome,
    Reminder,
    ListingStatus,
    DocumentKind,
    DocumentOwner,
    VariationKind,
    VariationStatus,
    SignInOutcome,
    VisitorKind,
    PreApprovalKind,
    PreApprovalStatus,
    ClaimStatus,
    ClaimLineKind,
    LineOutcome,
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::*;
    use crate::db::{DbConnection, Target};
    use crate::error::ApiError;

    diesel::table! {
        words (id) {
            id -> BigInt,
            word -> Text,
        }
    }

    fn database() -> (tempfile::TempDir, DbConnection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").display().to_string();
        let mut conn = Target::Sqlite(path).establish().unwrap();
        conn.batch_execute("CREATE TABLE words (id BIGINT PRIMARY KEY, word TEXT NOT NULL);")
            .unwrap();
        (dir, conn)
    }

    #[test]
    fn every_value_is_written_as_its_text_and_read_back() {
        let (_dir, mut conn) = database();
        for (id, status) in AwardStatus::ALL.iter().enumerate() {
            diesel::insert_into(words::table)
                .values((words::id.eq(id as i64), words::word.eq(status)))
                .execute(&mut conn)
                .unwrap();
        }
        let texts: Vec<String> = words::table
            .order(words::id)
            .select(words::word)
            .load(&mut conn)
            .unwrap();
        let expected: Vec<&str> = AwardStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(texts, expected);
        let read: Vec<AwardStatus> = words::table
            .order(words::id)
            .select(words::word)
            .load(&mut conn)
            .unwrap();
        assert_eq!(read, AwardStatus::ALL);
        let accepted: i64 = words::table
            .filter(words::word.eq_any([AwardStatus::Accepted, AwardStatus::Completed]))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(accepted, 2);
    }

    #[test]
    fn a_stored_text_outside_the_vocabulary_is_an_error_naming_it() {
        let (_dir, mut conn) = database();
        conn.batch_execute("INSERT INTO words (id, word) VALUES (1, 'approved')")
            .unwrap();
        let read = words::table
            .select(words::word)
            .first::<AwardStatus>(&mut conn);
        let Err(error @ diesel::result::Error::DeserializationError(_)) = read else {
            panic!("expected a deserialization error, got {read:?}");
        };
        let ApiError::Internal(cause) = ApiError::from(error) else {
            panic!("a corrupt row is an internal error");
        };
        assert!(cause.contains("AwardStatus"), "{cause}");
        assert!(cause.contains("\"approved\""), "{cause}");
    }
}
