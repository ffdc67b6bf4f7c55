//! What a request sends as an application's content: a new application, a patch to a draft, and
//! the people it expects to reach.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::vocabulary::{HealthBoard, SupportType, TargetGroup};

/// How many people an application expects to reach. Each count may be left out in a draft;
/// all four are needed to submit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub women: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub partners: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub infants: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub families: Option<i64>,
}

impl Reach {
    /// Each group with its stored name and count.
    pub(super) fn groups(&self) -> [(&'static str, Option<i64>); 4] {
        [
            ("women", self.women),
            ("partners", self.partners),
            ("infants", self.infants),
            ("families", self.families),
        ]
    }

    pub(super) fn set(&mut self, group: &str, people: i64) {
        match group {
            "women" => self.women = Some(people),
            "partners" => self.partners = Some(people),
            "infants" => self.infants = Some(people),
            "families" => self.families = Some(people),
            _ => {}
        }
    }
}

/// Declares a request for an application's content: its own title, then the fields a new
/// application and a patch to a draft both take, as the same optional values.
macro_rules! application_request {
    ($(#[$attr:meta])* pub struct $name:ident { $($title:tt)* }) => {
        $(#[$attr])*
        pub struct $name {
            $($title)*
            /// A short summary for the panel and the public directory, up to 1,000 characters.
            #[schema(max_length = 1000)]
            pub summary: Option<String>,
            /// The full description of the project, up to 20,000 characters.
            #[schema(max_length = 20000)]
            pub description: Option<String>,
            /// The amount requested for each financial year, e.g. `{"2021-22": "40000.00"}`. Replaces
            /// the whole request when sent.
            #[serde(default, deserialize_with = "crate::wire::optional_year_amounts")]
            #[schema(schema_with = crate::wire::amounts_by_year)]
            pub requested: Option<BTreeMap<String, String>>,
            #[serde(
                default,
                deserialize_with = "crate::wire::optional_at_most::<_, _, 10>"
            )]
            #[schema(value_type = Option<Vec<TargetGroup>>, max_items = 10)]
            pub target_groups: Option<Vec<String>>,
            /// The NHS health boards whose areas the project covers.
            #[serde(
                default,
                deserialize_with = "crate::wire::optional_at_most::<_, _, 14>"
            )]
            #[schema(value_type = Option<Vec<HealthBoard>>, max_items = 14)]
            pub health_boards: Option<Vec<String>>,
            #[serde(default, deserialize_with = "crate::wire::optional_at_most::<_, _, 8>")]
            #[schema(value_type = Option<Vec<SupportType>>, max_items = 8)]
            pub support_types: Option<Vec<String>>,
            /// Whether peer support is part of the project.
            pub peer_support: Option<bool>,
            /// Counts sent here replace the stored ones; counts left out stay.
            pub expected_reach: Option<Reach>,
            /// How the project advances equality (EQIA priorities), up to 5,000 characters.
            #[schema(max_length = 5000)]
            pub equality_impact: Option<String>,
        }
    };
}

application_request! {
    /// A new application. Only the title is needed to save a draft; everything else may follow.
    #[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct NewApplication {
        /// The project's title, 1 to 200 characters.
        #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
        pub title: String,
    }
}

application_request! {
    /// Changes to a draft: fields sent replace the stored ones, fields left out stay. A blank text or
    /// an empty list clears the field.
    #[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ApplicationPatch {
        #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
        pub title: Option<String>,
    }
}

impl From<NewApplication> for ApplicationPatch {
    fn from(new: NewApplication) -> Self {
        ApplicationPatch {
            title: Some(new.title),
            summary: new.summary,
            description: new.description,
            requested: new.requested,
            target_groups: new.target_groups,
            health_boards: new.health_boards,
            support_types: new.support_types,
            peer_support: new.peer_support,
            expected_reach: new.expected_reach,
            equality_impact: new.equality_impact,
        }
    }
}
