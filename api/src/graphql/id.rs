//! Relay global IDs: opaque strings that name a type and a row (`base64url("Article:12")`).

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::{AppError, AppResult};

/// The types that implement `Node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Article,
    Person,
    Meeting,
    Source,
    Tag,
    Quote,
}

impl NodeKind {
    fn name(self) -> &'static str {
        match self {
            NodeKind::Article => "Article",
            NodeKind::Person => "Person",
            NodeKind::Meeting => "Meeting",
            NodeKind::Source => "Source",
            NodeKind::Tag => "Tag",
            NodeKind::Quote => "Quote",
        }
    }

    fn from_name(name: &str) -> Option<NodeKind> {
        [
            NodeKind::Article,
            NodeKind::Person,
            NodeKind::Meeting,
            NodeKind::Source,
            NodeKind::Tag,
            NodeKind::Quote,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

/// The global ID of a row.
pub fn encode(kind: NodeKind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Reads a global ID given in the input field `field`.
pub fn decode(id: &ID, field: &str) -> AppResult<(NodeKind, i64)> {
    let invalid = || {
        AppError::validation(
            field,
            format!("`{}` is not an ID this API issued", id.as_str()),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (kind, number) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeKind::from_name(kind).ok_or_else(invalid)?;
    let number = number.parse::<i64>().map_err(|_| invalid())?;
    Ok((kind, number))
}

/// Reads a global ID that must name a row of `kind`.
pub fn decode_as(id: &ID, kind: NodeKind, field: &str) -> AppResult<i64> {
    match decode(id, field)? {
        (found, number) if found == kind => Ok(number),
        (found, _) => Err(AppError::validation(
            field,
            format!(
                "`{}` is the ID of a {}, not of a {}",
                id.as_str(),
                found.name(),
                kind.name()
            ),
        )),
    }
}
