//! The orderings clients can ask for, per list, and the columns they sort on.

use entity::{article, meeting, person, quote, source, tag};

use super::keyset::{KeyKind, OrderOption, Ordering, SortKey};

fn key<C>(column: C, kind: KeyKind, descending: bool) -> SortKey<C> {
    SortKey {
        column,
        kind,
        descending,
        nullable: false,
    }
}

/// Orderings of article lists; the default is newest first, undated articles last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArticleOrder {
    PublishedAtAsc,
    PublishedAtDesc,
    TitleAsc,
    TitleDesc,
    CreatedAtAsc,
    CreatedAtDesc,
    UpdatedAtAsc,
    UpdatedAtDesc,
}

impl OrderOption for ArticleOrder {
    type Column = article::Column;
    fn name(self) -> &'static str {
        match self {
            Self::PublishedAtAsc => "PUBLISHED_AT_ASC",
            Self::PublishedAtDesc => "PUBLISHED_AT_DESC",
            Self::TitleAsc => "TITLE_ASC",
            Self::TitleDesc => "TITLE_DESC",
            Self::CreatedAtAsc => "CREATED_AT_ASC",
            Self::CreatedAtDesc => "CREATED_AT_DESC",
            Self::UpdatedAtAsc => "UPDATED_AT_ASC",
            Self::UpdatedAtDesc => "UPDATED_AT_DESC",
        }
    }
    fn key(self) -> SortKey<article::Column> {
        use article::Column as C;
        use KeyKind::{Text, Timestamp};
        match self {
            Self::PublishedAtAsc | Self::PublishedAtDesc => SortKey {
                nullable: true,
                ..key(C::PublishedAt, Timestamp, self == Self::PublishedAtDesc)
            },
            Self::TitleAsc => key(C::Title, Text, false),
            Self::TitleDesc => key(C::Title, Text, true),
            Self::CreatedAtAsc => key(C::CreatedAt, Timestamp, false),
            Self::CreatedAtDesc => key(C::CreatedAt, Timestamp, true),
            Self::UpdatedAtAsc => key(C::UpdatedAt, Timestamp, false),
            Self::UpdatedAtDesc => key(C::UpdatedAt, Timestamp, true),
        }
    }
}

/// Orderings of people lists; the default is by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PersonOrder {
    NameAsc,
    NameDesc,
    CreatedAtAsc,
    CreatedAtDesc,
}

impl OrderOption for PersonOrder {
    type Column = person::Column;
    fn name(self) -> &'static str {
        match self {
            Self::NameAsc => "NAME_ASC",
            Self::NameDesc => "NAME_DESC",
            Self::CreatedAtAsc => "CREATED_AT_ASC",
            Self::CreatedAtDesc => "CREATED_AT_DESC",
        }
    }
    fn key(self) -> SortKey<person::Column> {
        use person::Column as C;
        match self {
            Self::NameAsc => key(C::Name, KeyKind::Text, false),
            Self::NameDesc => key(C::Name, KeyKind::Text, true),
            Self::CreatedAtAsc => key(C::CreatedAt, KeyKind::Timestamp, false),
            Self::CreatedAtDesc => key(C::CreatedAt, KeyKind::Timestamp, true),
        }
    }
}

/// Orderings of meeting lists; the default is the latest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeetingOrder {
    HeldOnAsc,
    HeldOnDesc,
    TitleAsc,
    TitleDesc,
}

impl OrderOption for MeetingOrder {
    type Column = meeting::Column;
    fn name(self) -> &'static str {
        match self {
            Self::HeldOnAsc => "HELD_ON_ASC",
            Self::HeldOnDesc => "HELD_ON_DESC",
            Self::TitleAsc => "TITLE_ASC",
            Self::TitleDesc => "TITLE_DESC",
        }
    }
    fn key(self) -> SortKey<meeting::Column> {
        use meeting::Column as C;
        match self {
            Self::HeldOnAsc => key(C::HeldOn, KeyKind::Date, false),
            Self::HeldOnDesc => key(C::HeldOn, KeyKind::Date, true),
            Self::TitleAsc => key(C::Title, KeyKind::Text, false),
            Self::TitleDesc => key(C::Title, KeyKind::Text, true),
        }
    }
}

/// Orderings of source lists; the default is by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceOrder {
    NameAsc,
    NameDesc,
}

impl OrderOption for SourceOrder {
    type Column = source::Column;
    fn name(self) -> &'static str {
        match self {
            Self::NameAsc => "NAME_ASC",
            Self::NameDesc => "NAME_DESC",
        }
    }
    fn key(self) -> SortKey<source::Column> {
        key(source::Column::Name, KeyKind::Text, self == Self::NameDesc)
    }
}

/// Orderings of tag lists; the default is by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TagOrder {
    NameAsc,
    NameDesc,
}

impl OrderOption for TagOrder {
    type Column = tag::Column;
    fn name(self) -> &'static str {
        match self {
            Self::NameAsc => "NAME_ASC",
            Self::NameDesc => "NAME_DESC",
        }
    }
    fn key(self) -> SortKey<tag::Column> {
        key(tag::Column::Name, KeyKind::Text, self == Self::NameDesc)
    }
}

/// Orderings of quote lists: the newest first (the only one clients get for now).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuoteOrder {
    Newest,
}

impl OrderOption for QuoteOrder {
    type Column = quote::Column;
    fn name(self) -> &'static str {
        "NEWEST"
    }
    fn key(self) -> SortKey<quote::Column> {
        key(quote::Column::CreatedAt, KeyKind::Timestamp, true)
    }
}

/// The article ordering for the options given (default: newest first).
pub fn article_ordering(options: &[ArticleOrder]) -> Ordering<article::Column> {
    super::keyset::ordering(options, ArticleOrder::PublishedAtDesc, article::Column::Id)
}

/// The people ordering for the options given (default: by name).
pub fn person_ordering(options: &[PersonOrder]) -> Ordering<person::Column> {
    super::keyset::ordering(options, PersonOrder::NameAsc, person::Column::Id)
}

/// The meeting ordering for the options given (default: latest first).
pub fn meeting_ordering(options: &[MeetingOrder]) -> Ordering<meeting::Column> {
    super::keyset::ordering(options, MeetingOrder::HeldOnDesc, meeting::Column::Id)
}

/// The source ordering for the options given (default: by name).
pub fn source_ordering(options: &[SourceOrder]) -> Ordering<source::Column> {
    super::keyset::ordering(options, SourceOrder::NameAsc, source::Column::Id)
}

/// The tag ordering for the options given (default: by name).
pub fn tag_ordering(options: &[TagOrder]) -> Ordering<tag::Column> {
    super::keyset::ordering(options, TagOrder::NameAsc, tag::Column::Id)
}

/// The quote ordering: newest first.
pub fn quote_ordering() -> Ordering<quote::Column> {
    super::keyset::ordering(&[], QuoteOrder::Newest, quote::Column::Id)
}
