//! The content tables of DATA.md, with their keys, unique constraints and indexes.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Sources {
    Table,
    Id,
    Slug,
    Name,
    Kind,
    Url,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tags {
    Table,
    Id,
    Slug,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum People {
    Table,
    Id,
    Slug,
    Name,
    NativeName,
    Country,
    Bio,
}

#[derive(DeriveIden, Clone, Copy)]
enum PersonAliases {
    Table,
    Id,
    PersonId,
    Alias,
}

#[derive(DeriveIden, Clone, Copy)]
enum Positions {
    Table,
    Id,
    PersonId,
    Title,
    Organization,
    StartedOn,
    EndedOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum Meetings {
    Table,
    Id,
    Slug,
    Title,
    Description,
    HeldOn,
    Location,
    City,
    Country,
    Occasion,
}

#[derive(DeriveIden, Clone, Copy)]
enum MeetingParticipants {
    Table,
    Id,
    MeetingId,
    PersonId,
    Role,
}

#[derive(DeriveIden, Clone, Copy)]
enum Articles {
    Table,
    Id,
    Slug,
    Title,
    Summary,
    Body,
    Language,
    Status,
    Featured,
    PublishedAt,
    SourceId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleTags {
    Table,
    Id,
    ArticleId,
    TagId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticlePeople {
    Table,
    Id,
    ArticleId,
    PersonId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleMeetings {
    Table,
    Id,
    ArticleId,
    MeetingId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Quotes {
    Table,
    Id,
    ArticleId,
    PersonId,
    MeetingId,
    Verb,
    Text,
    Position,
}

/// `created_at` and `updated_at`, in UTC.
fn with_timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Alias::new("created_at")))
        .col(timestamp_with_time_zone(Alias::new("updated_at")))
}

/// A foreign key from `table.column` to `parent.id`.
fn foreign_key(
    table: impl IntoIden + Clone + 'static,
    column: impl IntoIden + Clone + 'static,
    parent: impl IntoIden + 'static,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(parent, Alias::new("id"))
        .on_delete(on_delete)
        .take()
}

/// An index named after its table and columns.
fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(Alias::new(table));
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    statement.take()
}

/// Every index besides primary keys and the unique slugs, which the columns declare.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("sources", &["name", "id"], false),
        index("tags", &["name", "id"], false),
        index("people", &["name", "id"], false),
        index("people", &["created_at", "id"], false),
        index("people", &["country"], false),
        index("person_aliases", &["person_id", "alias"], true),
        index("person_aliases", &["alias"], false),
        index("positions", &["person_id"], false),
        index("meetings", &["held_on", "id"], false),
        index("meetings", &["title", "id"], false),
        index("meetings", &["city"], false),
        index("meetings", &["country"], false),
        index("meeting_participants", &["meeting_id", "person_id"], true),
        index("meeting_participants", &["person_id"], false),
        index("articles", &["title", "id"], false),
        index("articles", &["created_at", "id"], false),
        index("articles", &["updated_at", "id"], false),
        index("articles", &["source_id"], false),
        index("articles", &["language"], false),
        index("article_tags", &["article_id", "tag_id"], true),
        index("article_tags", &["tag_id"], false),
        index("article_people", &["article_id", "person_id"], true),
        index("article_people", &["person_id"], false),
        index("article_meetings", &["article_id", "meeting_id"], true),
        index("article_meetings", &["meeting_id"], false),
        index("quotes", &["article_id", "position"], false),
        index("quotes", &["created_at", "id"], false),
        index("quotes", &["person_id", "created_at", "id"], false),
        index("quotes", &["meeting_id"], false),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        // The default article order is `published_at DESC NULLS LAST, id DESC`: these indexes
        // hold it as it is read, which needs the backend's own syntax for null placement
        // (SQLite puts nulls last in a descending index, and has no NULLS clause).
        let nulls_last = match manager.get_database_backend() {
            DatabaseBackend::Postgres => " NULLS LAST",
            _ => "",
        };
        let connection = manager.get_connection();
        for (name, columns) in [
            ("ix_articles_published_at_id", ""),
            ("ix_articles_status_published_at_id", "status, "),
        ] {
            connection
                .execute_unprepared(&format!(
                    "CREATE INDEX {name} ON articles ({columns}published_at DESC{nulls_last}, id DESC)"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let names: [DynIden; 12] = [
            Quotes::Table.into_iden(),
            ArticleMeetings::Table.into_iden(),
            ArticlePeople::Table.into_iden(),
            ArticleTags::Table.into_iden(),
            Articles::Table.into_iden(),
            MeetingParticipants::Table.into_iden(),
            Meetings::Table.into_iden(),
            Positions::Table.into_iden(),
            PersonAliases::Table.into_iden(),
            People::Table.into_iden(),
            Tags::Table.into_iden(),
            Sources::Table.into_iden(),
        ];
        for name in names {
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The create statements, parents before children.
fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, SetNull};
    vec![
        with_timestamps(
            Table::create()
                .table(Sources::Table)
                .col(big_pk_auto(Sources::Id))
                .col(string_uniq(Sources::Slug))
                .col(string(Sources::Name))
                .col(string(Sources::Kind))
                .col(string_null(Sources::Url))
                .col(text_null(Sources::Description)),
        )
        .take(),
        with_timestamps(
            Table::create()
                .table(Tags::Table)
                .col(big_pk_auto(Tags::Id))
                .col(string_uniq(Tags::Slug))
                .col(string(Tags::Name)),
        )
        .take(),
        with_timestamps(
            Table::create()
                .table(People::Table)
                .col(big_pk_auto(People::Id))
                .col(string_uniq(People::Slug))
                .col(string(People::Name))
                .col(string_null(People::NativeName))
                .col(string_null(People::Country))
                .col(text_null(People::Bio)),
        )
        .take(),
        Table::create()
            .table(PersonAliases::Table)
            .col(big_pk_auto(PersonAliases::Id))
            .col(big_integer(PersonAliases::PersonId))
            .col(string(PersonAliases::Alias))
            .foreign_key(&mut foreign_key(
                PersonAliases::Table,
                PersonAliases::PersonId,
                People::Table,
                Cascade,
            ))
            .take(),
        Table::create()
            .table(Positions::Table)
            .col(big_pk_auto(Positions::Id))
            .col(big_integer(Positions::PersonId))
            .col(string(Positions::Title))
            .col(string_null(Positions::Organization))
            .col(date_null(Positions::StartedOn))
            .col(date_null(Positions::EndedOn))
            .foreign_key(&mut foreign_key(
                Positions::Table,
                Positions::PersonId,
                People::Table,
                Cascade,
            ))
            .take(),
        with_timestamps(
            Table::create()
                .table(Meetings::Table)
                .col(big_pk_auto(Meetings::Id))
                .col(string_uniq(Meetings::Slug))
                .col(string(Meetings::Title))
                .col(text_null(Meetings::Description))
                .col(date(Meetings::HeldOn))
                .col(string_null(Meetings::Location))
                .col(string_null(Meetings::City))
                .col(string_null(Meetings::Country))
                .col(text_null(Meetings::Occasion)),
        )
        .take(),
        Table::create()
            .table(MeetingParticipants::Table)
            .col(big_pk_auto(MeetingParticipants::Id))
            .col(big_integer(MeetingParticipants::MeetingId))
            .col(big_integer(MeetingParticipants::PersonId))
            .col(string(MeetingParticipants::Role))
            .foreign_key(&mut foreign_key(
                MeetingParticipants::Table,
                MeetingParticipants::MeetingId,
                Meetings::Table,
                Cascade,
            ))
            .foreign_key(&mut foreign_key(
                MeetingParticipants::Table,
                MeetingParticipants::PersonId,
                People::Table,
                Cascade,
            ))
            .take(),
        Table::create()
            .table(Articles::Table)
            .col(big_pk_auto(Articles::Id))
            .col(string_uniq(Articles::Slug))
            .col(text(Articles::Title))
            .col(text_null(Articles::Summary))
            .col(text_null(Articles::Body))
            .col(string(Articles::Language))
            .col(string(Articles::Status))
            .col(boolean(Articles::Featured).default(false))
            .col(timestamp_with_time_zone_null(Articles::PublishedAt))
            .col(big_integer_null(Articles::SourceId))
            .col(integer(Articles::Version).default(1))
            .col(timestamp_with_time_zone(Articles::CreatedAt))
            .col(timestamp_with_time_zone(Articles::UpdatedAt))
            .foreign_key(&mut foreign_key(
                Articles::Table,
                Articles::SourceId,
                Sources::Table,
                SetNull,
            ))
            .take(),
        link_table(
            ArticleTags::Table,
            ArticleTags::Id,
            ArticleTags::ArticleId,
            ArticleTags::TagId,
            Tags::Table,
        ),
        link_table(
            ArticlePeople::Table,
            ArticlePeople::Id,
            ArticlePeople::ArticleId,
            ArticlePeople::PersonId,
            People::Table,
        ),
        link_table(
            ArticleMeetings::Table,
            ArticleMeetings::Id,
            ArticleMeetings::ArticleId,
            ArticleMeetings::MeetingId,
            Meetings::Table,
        ),
        with_timestamps(
            Table::create()
                .table(Quotes::Table)
                .col(big_pk_auto(Quotes::Id))
                .col(big_integer(Quotes::ArticleId))
                .col(big_integer(Quotes::PersonId))
                .col(big_integer_null(Quotes::MeetingId))
                .col(string_null(Quotes::Verb))
                .col(text(Quotes::Text))
                .col(integer(Quotes::Position))
                .foreign_key(&mut foreign_key(
                    Quotes::Table,
                    Quotes::ArticleId,
                    Articles::Table,
                    Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    Quotes::Table,
                    Quotes::PersonId,
                    People::Table,
                    Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    Quotes::Table,
                    Quotes::MeetingId,
                    Meetings::Table,
                    SetNull,
                )),
        )
        .take(),
    ]
}

/// A table linking an article to another record, both sides deleted in cascade.
fn link_table<T, C>(
    table: T,
    id: C,
    article_id: C,
    other_id: C,
    other: impl IntoIden + 'static,
) -> TableCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
{
    Table::create()
        .table(table.clone())
        .col(big_pk_auto(id))
        .col(big_integer(article_id.clone()))
        .col(big_integer(other_id.clone()))
        .foreign_key(&mut foreign_key(
            table.clone(),
            article_id,
            Articles::Table,
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut foreign_key(
            table,
            other_id,
            other,
            ForeignKeyAction::Cascade,
        ))
        .take()
}
