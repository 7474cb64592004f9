//! A list that is almost always one item long, held without an allocation of its own until it grows: the
//! front keeps one per plan and per hash, and plans are many.

use std::ops::{Deref, DerefMut};

/// One value, or several in a list.
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values of `values` (at least one is expected; none makes an empty list).
    pub fn from_vec(mut values: Vec<T>) -> Self {
        match values.len() {
            1 => values.pop().map_or_else(|| Self::Many(Vec::new()), Self::One),
            _ => Self::Many(values),
        }
    }

    /// Adds a value at the end.
    pub fn push(&mut self, value: T) {
        *self = match std::mem::replace(self, Self::Many(Vec::new())) {
            Self::One(first) => {
                let mut values = Vec::with_capacity(4);
                values.extend([first, value]);
                Self::Many(values)
            }
            Self::Many(mut values) => {
                values.push(value);
                Self::Many(values)
            }
        };
    }
}

impl<T> Deref for OneOrMany<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Self::One(value) => std::slice::from_ref(value),
            Self::Many(values) => values,
        }
    }
}

impl<T> DerefMut for OneOrMany<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Self::One(value) => std::slice::from_mut(value),
            Self::Many(values) => values,
        }
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_from_one_to_many_in_order() {
        let mut list = OneOrMany::from_vec(vec![1]);
        assert!(matches!(list, OneOrMany::One(1)));
        list.push(2);
        list.push(3);
        list[0] = 0;
        assert_eq!(&*list, &[0, 2, 3]);
        assert_eq!(&*OneOrMany::from_vec(vec![4, 5]), &[4, 5]);
        assert!(OneOrMany::<u8>::from_vec(Vec::new()).is_empty());
    }
}
