//! Reading what belongs to many rows at once: one query for all of them, never one per row.

use std::collections::HashMap;

use diesel::Identifiable;

/// The ids of `rows`, for one query of what belongs to each.
pub fn ids<R>(rows: &[R]) -> Vec<i64>
where
    for<'a> &'a R: Identifiable<Id = &'a i64>,
{
    rows.iter().map(|row| *row.id()).collect()
}

/// Gathers `(parent id, child)` pairs into each parent's children, keeping their order.
pub fn group<T>(pairs: impl IntoIterator<Item = (i64, T)>) -> HashMap<i64, Vec<T>> {
    let mut by_parent: HashMap<i64, Vec<T>> = HashMap::new();
    for (parent, child) in pairs {
        by_parent.entry(parent).or_default().push(child);
    }
    by_parent
}

/// Builds each of `rows`, in order, with what `load` found for it by id in one query; a row
/// `load` found nothing for is built with the empty value.
pub fn with_children<R, C, T, E>(
    rows: Vec<R>,
    load: impl FnOnce(&[i64]) -> Result<HashMap<i64, C>, E>,
    mut build: impl FnMut(R, C) -> Result<T, E>,
) -> Result<Vec<T>, E>
where
    for<'a> &'a R: Identifiable<Id = &'a i64>,
    C: Default,
{
    let mut children = load(&ids(&rows))?;
    rows.into_iter()
        .map(|row| {
            let own = children.remove(row.id()).unwrap_or_default();
            build(row, own)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::Identifiable)]
    #[diesel(table_name = crate::db::schema::funds)]
    struct Row {
        id: i64,
    }

    #[test]
    fn each_row_gets_its_own_children_in_order_and_none_when_none_were_found() {
        let rows = vec![Row { id: 3 }, Row { id: 1 }, Row { id: 2 }];
        let built = with_children(
            rows,
            |ids| {
                assert_eq!(ids, [3, 1, 2]);
                Ok::<_, ()>(group([(1, "a"), (3, "c"), (1, "b")]))
            },
            |row, own| Ok((row.id, own)),
        )
        .expect("built");
        assert_eq!(built, [(3, vec!["c"]), (1, vec!["a", "b"]), (2, vec![])]);
    }
}
