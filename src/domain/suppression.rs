//! Small-number suppression for figures about families that officials see.
//!
//! A group of fewer than [`THRESHOLD`] responses is suppressed: it is shown with no figures at
//! all. Suppressing the small groups alone is not enough when a total is shown beside them: the
//! total minus the visible groups gives back a single suppressed group, or the sum of several
//! small ones. So, while exactly one group is suppressed, or the suppressed groups together hold
//! between 1 and `THRESHOLD - 1` responses, the smallest group still shown is suppressed too
//! (the one first in order among equals). The total itself is suppressed when it is below the
//! threshold.

/// The fewest responses a group may have and still be shown.
pub const THRESHOLD: u64 = 5;

/// Which of `counts` to suppress, in the same order: `true` means show no figures for it.
pub fn suppressed(counts: &[u64]) -> Vec<bool> {
    let mut hidden: Vec<bool> = counts.iter().map(|c| *c < THRESHOLD).collect();
    loop {
        let hidden_count = hidden.iter().filter(|h| **h).count();
        let hidden_sum: u64 = counts
            .iter()
            .zip(&hidden)
            .filter(|(_, h)| **h)
            .map(|(c, _)| *c)
            .sum();
        let revealing = hidden_count == 1 || (1..THRESHOLD).contains(&hidden_sum);
        if !revealing {
            return hidden;
        }
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, _)| !hidden[*i])
            .min_by_key(|(i, c)| (**c, *i))
            .map(|(i, _)| i);
        match next {
            Some(i) => hidden[i] = true,
            None => return hidden,
        }
    }
}

/// Whether a total of `count` responses is itself too small to show.
pub fn total_suppressed(count: u64) -> bool {
    count < THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_of_five_or_more_are_shown() {
        assert_eq!(suppressed(&[5, 12, 40]), [false, false, false]);
        assert_eq!(suppressed(&[]), Vec::<bool>::new());
    }

    #[test]
    fn a_lone_small_group_takes_the_next_smallest_with_it() {
        // 30 mothers, 8 fathers, 2 kinship carers: hiding only the 2 lets 40 - 38 give them back.
        assert_eq!(suppressed(&[30, 8, 2]), [false, true, true]);
        // Equal counts: the first in order goes.
        assert_eq!(suppressed(&[9, 9, 1]), [true, false, true]);
    }

    #[test]
    fn small_groups_that_sum_to_under_five_take_more_with_them() {
        // 1 + 2 = 3 would be revealed by the total.
        assert_eq!(suppressed(&[20, 1, 2, 6]), [false, true, true, true]);
        // 3 + 4 = 7 reveals only that the two together are 7, not either one.
        assert_eq!(suppressed(&[20, 3, 4]), [false, true, true]);
        // Zero responses reveal nobody.
        assert_eq!(suppressed(&[20, 0, 0]), [false, true, true]);
    }

    #[test]
    fn everything_goes_when_nothing_safe_is_left() {
        assert_eq!(suppressed(&[3]), [true]);
        assert_eq!(suppressed(&[2, 1]), [true, true]);
        assert!(total_suppressed(4));
        assert!(!total_suppressed(5));
    }

    proptest! {
        #[test]
        fn nothing_below_five_is_shown_and_differencing_reveals_no_small_group(
            counts in prop::collection::vec(0u64..40, 0..8)
        ) {
            let hidden = suppressed(&counts);
            prop_assert_eq!(hidden.len(), counts.len());
            for (count, hide) in counts.iter().zip(&hidden) {
                prop_assert!(*hide || *count >= THRESHOLD, "{counts:?} {hidden:?}");
            }
            let hidden_count = hidden.iter().filter(|h| **h).count();
            let hidden_sum: u64 = counts.iter().zip(&hidden).filter(|(_, h)| **h).map(|(c, _)| *c).sum();
            let everything_hidden = hidden_count == counts.len();
            // What `total - visible` gives back is the hidden sum: it must not single out one
            // group, nor be a small number of people, unless nothing at all is shown.
            prop_assert!(everything_hidden || hidden_count != 1, "{counts:?} {hidden:?}");
            prop_assert!(everything_hidden || hidden_sum == 0 || hidden_sum >= THRESHOLD, "{counts:?} {hidden:?}");
        }
    }
}
