//! Plain fields answered in place. async-graphql resolves every selected field of an object
//! as its own boxed future in a `FuturesUnordered`, a title as much as a relation; on a
//! front page of 20 articles that is about 800 futures, most of them for values already in
//! the row. [`Plain`] wraps an object type: its fields that read the row alone are answered
//! straight away, by the type's own resolver methods and async-graphql's own conversion to a
//! value, and only the rest (relations, anything with arguments) become futures, resolved
//! together as async-graphql would.
//!
//! A selection this does not handle exactly as async-graphql does (a fragment, a directive,
//! a response key given twice) is left to async-graphql whole. So is a field whose resolver
//! does not finish on its first poll.

use std::borrow::Cow;
use std::future::Future;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, ContextSelectionSet, OutputType, Positioned, ServerResult, Value,
};
use futures_util::FutureExt;

/// An object type whose plain fields [`Plain`] may answer in place.
pub trait PlainFields: ContainerType {
    /// The value of the field named `name` if it is one of the type's plain fields (read from
    /// the row alone, without arguments) and resolves at once; `None` otherwise. Written
    /// with [`plain_fields!`].
    fn plain_field(
        &self,
        name: &str,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> Option<Value>;
}

/// The value of a plain field: its resolver's future, polled once, turned into a value by
/// the output type's own `resolve`, polled once. `None` when either is not ready or fails,
/// and the field is then left to async-graphql.
pub fn ready<V: OutputType>(
    resolver: impl Future<Output = V>,
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
) -> Option<Value> {
    let value = resolver.now_or_never()?;
    value.resolve(ctx, field).now_or_never()?.ok()
}

/// Implements [`PlainFields`] for a type: each GraphQL field name with the resolver method
/// that answers it. Only fields whose type is a scalar or an enum belong here: an object's
/// value needs the field's own selection, which [`ready`] does not give it.
macro_rules! plain_fields {
    ($type:ty { $($name:literal => $method:ident),* $(,)? }) => {
        impl $crate::graphql::plain::PlainFields for $type {
            fn plain_field(
                &self,
                name: &str,
                ctx: &async_graphql::ContextSelectionSet<'_>,
                field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
            ) -> Option<async_graphql::Value> {
                // `#[Object]` gives each resolver method the field's context.
                let field_ctx = ctx.with_field(field);
                match name {
                    $($name => $crate::graphql::plain::ready(self.$method(&field_ctx), ctx, field),)*
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use plain_fields;

/// `T`, with its plain fields answered in place; the same GraphQL type as `T`.
#[derive(Clone)]
pub struct Plain<T>(pub T);

impl<T: PlainFields + OutputType> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let root = &self.0;
        let mut fields = Vec::with_capacity(ctx.item.node.items.len());
        for selection in &ctx.item.node.items {
            match &selection.node {
                Selection::Field(selected)
                    if selected.node.directives.is_empty()
                        && !fields.iter().any(|other: &&Positioned<Field>| {
                            other.node.response_key().node == selected.node.response_key().node
                        }) =>
                {
                    fields.push(selected);
                }
                _ => return T::resolve(root, ctx, field).await,
            }
        }
        let values: Vec<Option<Value>> = fields
            .iter()
            .map(|selected| match selected.node.name.node.as_str() {
                "__typename" => Some(Value::String(root.introspection_type_name().into_owned())),
                name => root.plain_field(name, ctx, selected),
            })
            .collect();
        let contexts: Vec<_> = fields
            .iter()
            .zip(&values)
            .filter(|(_, value)| value.is_none())
            .map(|(selected, _)| ctx.with_field(selected))
            .collect();
        let mut resolved =
            futures_util::future::join_all(contexts.iter().map(|field| root.resolve_field(field)))
                .await
                .into_iter();
        let mut answer = IndexMap::with_capacity(fields.len());
        for (selected, value) in fields.iter().zip(values) {
            let value = match value {
                Some(value) => value,
                None => match resolved.next() {
                    Some(Ok(value)) => value.unwrap_or_default(),
                    // As async-graphql does: the error is the request's, the field absent.
                    Some(Err(error)) => {
                        ctx.add_error(error);
                        continue;
                    }
                    None => continue,
                },
            };
            answer.insert(selected.node.response_key().node.clone(), value);
        }
        Ok(if answer.is_empty() {
            Value::Null
        } else {
            Value::Object(answer)
        })
    }
}
