//! Paged lists: `?page=&per_page=` in, `{items, page, per_page, total}` out.

use diesel::query_dsl::methods::{LimitDsl, LoadQuery, OffsetDsl};
use diesel::{QueryResult, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::DbConnection;
use crate::error::{ApiError, Validator};

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;

/// Which page of a list to answer.
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// A checked page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl PageQuery {
    pub fn parse(self) -> Result<Page, ApiError> {
        let mut v = Validator::new();
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        v.ensure(
            (1..=1_000_000).contains(&page),
            "page",
            "must be between 1 and 1000000",
        );
        v.ensure(
            (1..=MAX_PER_PAGE).contains(&per_page),
            "per_page",
            "must be between 1 and 100",
        );
        v.finish()?;
        Ok(Page { page, per_page })
    }
}

impl Page {
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn limit(self) -> i64 {
        self.per_page
    }

    /// Counts the whole list with `count` and loads this page of it with `list`, which gives
    /// the order.
    pub fn load<'q, R, C, L>(
        self,
        conn: &mut DbConnection,
        count: C,
        list: L,
    ) -> QueryResult<(i64, Vec<R>)>
    where
        C: LoadQuery<'q, DbConnection, i64>,
        L: LimitDsl,
        L::Output: OffsetDsl,
        <L::Output as OffsetDsl>::Output: LoadQuery<'q, DbConnection, R>,
    {
        let total = count.get_result(conn)?;
        let rows = list.limit(self.limit()).offset(self.offset()).load(conn)?;
        Ok((total, rows))
    }

    pub fn wrap<T>(self, items: Vec<T>, total: i64) -> Paged<T> {
        Paged {
            items,
            page: self.page,
            per_page: self.per_page,
            total,
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// The page answered, from 1.
    pub page: i64,
    /// Items per page asked for.
    pub per_page: i64,
    /// How many items the whole list holds.
    pub total: i64,
}
