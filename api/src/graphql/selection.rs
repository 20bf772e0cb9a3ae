//! Which columns a selection needs: a field named as a column (`publishedAt` for
//! `published_at`) reads that column, a relation reads its key, and any other field reads
//! every column, so that a field added to a type is never answered from a placeholder (see
//! `service::columns`).

use async_graphql::{Context, Lookahead, SelectionField};
use entity::{article, meeting, person, position, quote, source, tag};

use crate::service::columns::{Columns, Partial};

/// A type backed by an entity: its relation fields and the column each needs.
pub(crate) trait Reads: Partial {
    /// `Some(column)` for a relation field that needs `column` (`id` for children), `None`
    /// for a field that is not a relation.
    fn relation(field: &str) -> Option<Self::Column>;
}

/// The columns the selection sets of `objects` (fields of type `E`) need.
fn of_objects<'a, E: Reads>(objects: impl IntoIterator<Item = SelectionField<'a>>) -> Columns<E> {
    let mut columns = Columns::id();
    for object in objects {
        for field in object.selection_set() {
            let name = field.name();
            if name == "__typename" {
                continue;
            }
            let column = E::relation(name).or_else(|| {
                E::fields()
                    .iter()
                    .find(|(_, column)| is_camel_case_of(name, column))
                    .map(|(column, _)| *column)
            });
            match column {
                Some(column) => columns = columns.with(column),
                None => return Columns::ALL,
            }
        }
    }
    columns
}

/// The columns the nodes of the connection being resolved need (under `nodes` and
/// `edges.node`, through fragments too).
pub(super) fn of_connection<E: Reads>(ctx: &Context<'_>) -> Columns<E> {
    of_connection_at(ctx.look_ahead())
}

/// The columns the nodes of the connection `selection` need (see [`of_connection`]).
pub(super) fn of_connection_at<E: Reads>(selection: Lookahead<'_>) -> Columns<E> {
    let nodes = selection.field("nodes").selection_fields();
    let edge_nodes = selection.field("edges").field("node").selection_fields();
    of_objects(nodes.into_iter().chain(edge_nodes))
}

/// The columns the objects under the field `name` of the field being resolved need.
pub(super) fn of_child<E: Reads>(ctx: &Context<'_>, name: &str) -> Columns<E> {
    of_objects(ctx.look_ahead().field(name).selection_fields())
}

/// The columns the objects under the field `name` of the selected `field` need.
pub(super) fn of_child_at<E: Reads>(field: SelectionField<'_>, name: &str) -> Columns<E> {
    of_objects(Lookahead::from(field).field(name).selection_fields())
}

/// The columns the object (or list of objects) being resolved needs.
pub(super) fn of_field<E: Reads>(ctx: &Context<'_>) -> Columns<E> {
    of_selection(ctx.field())
}

/// The columns the object (or list of objects) of the selected `field` needs.
pub(super) fn of_selection<E: Reads>(field: SelectionField<'_>) -> Columns<E> {
    of_objects([field])
}

/// Whether `field` is the camel case of the snake case `column` (`publishedAt`,
/// `published_at`).
fn is_camel_case_of(field: &str, column: &str) -> bool {
    let mut field = field.chars();
    let mut column = column.chars();
    loop {
        match (field.next(), column.next()) {
            (None, None) => return true,
            (Some(f), Some('_')) => match column.next() {
                Some(c) if f.is_ascii_uppercase() && c == f.to_ascii_lowercase() => {}
                _ => return false,
            },
            (Some(f), Some(c)) if f == c && !f.is_ascii_uppercase() => {}
            _ => return false,
        }
    }
}

impl Reads for article::Entity {
    fn relation(field: &str) -> Option<article::Column> {
        match field {
            "source" => Some(article::Column::SourceId),
            "tags" | "people" | "meetings" | "quotes" => Some(article::Column::Id),
            _ => None,
        }
    }
}

impl Reads for person::Entity {
    fn relation(field: &str) -> Option<person::Column> {
        match field {
            "aliases" | "positions" | "meetings" | "articles" | "quotes" => {
                Some(person::Column::Id)
            }
            _ => None,
        }
    }
}

impl Reads for source::Entity {
    fn relation(field: &str) -> Option<source::Column> {
        (field == "articles").then_some(source::Column::Id)
    }
}

impl Reads for tag::Entity {
    fn relation(field: &str) -> Option<tag::Column> {
        (field == "articles").then_some(tag::Column::Id)
    }
}

impl Reads for position::Entity {
    fn relation(_: &str) -> Option<position::Column> {
        None
    }
}

impl Reads for meeting::Entity {
    fn relation(field: &str) -> Option<meeting::Column> {
        match field {
            "participants" | "articles" | "quotes" => Some(meeting::Column::Id),
            _ => None,
        }
    }
}

impl Reads for quote::Entity {
    fn relation(field: &str) -> Option<quote::Column> {
        match field {
            "person" => Some(quote::Column::PersonId),
            "article" => Some(quote::Column::ArticleId),
            "meeting" => Some(quote::Column::MeetingId),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_camel_case_of;

    #[test]
    fn camel_case_names_match_their_columns_only() {
        assert!(is_camel_case_of("publishedAt", "published_at"));
        assert!(is_camel_case_of("title", "title"));
        assert!(is_camel_case_of("id", "id"));
        assert!(!is_camel_case_of("published_at", "published_at"));
        assert!(!is_camel_case_of("publishedat", "published_at"));
        assert!(!is_camel_case_of("publishedAt", "published"));
        assert!(!is_camel_case_of("published", "published_at"));
        assert!(!is_camel_case_of("Title", "title"));
        assert!(!is_camel_case_of("createdAt", "updated_at"));
    }
}
