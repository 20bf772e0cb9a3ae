//! A deterministic data set at realistic proportions: per 100,000 articles about 200
//! sources, 500 tags, 5,000 people, 20,000 meetings; 1–5 tags, 1–8 people, 0–2 meetings and
//! 0–4 quotes per article; English and Chinese text; ten years of dates; 5% drafts.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

/// What to generate.
#[derive(clap::Args)]
pub struct Args {
    /// How many articles (the other records scale with it).
    #[arg(long, default_value_t = 100_000)]
    articles: usize,
    /// The seed: the same seed and size give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// SplitMix64: tiny, fast, and stable across versions, so a seed always means the same data.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.between(0, items.len() - 1)]
    }

    /// Between `low` and `high` distinct numbers below `limit`.
    fn some(&mut self, low: usize, high: usize, limit: usize) -> Vec<usize> {
        let count = self.between(low, high);
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < count.min(limit) {
            let n = self.between(0, limit - 1);
            if !chosen.contains(&n) {
                chosen.push(n);
            }
        }
        chosen
    }
}

const WORDS: &[&str] = &[
    "security",
    "cooperation",
    "strategic",
    "partnership",
    "ministry",
    "foreign",
    "affairs",
    "president",
    "meeting",
    "talks",
    "trade",
    "economic",
    "development",
    "regional",
    "stability",
    "summit",
    "delegation",
    "agreement",
    "relations",
    "bilateral",
    "council",
    "national",
    "minister",
    "spokesperson",
    "briefing",
    "press",
    "conference",
    "policy",
    "investment",
    "energy",
    "climate",
    "health",
    "pandemic",
    "technology",
    "innovation",
    "border",
    "defense",
    "consultation",
    "mechanism",
    "sovereignty",
    "interests",
    "dialogue",
    "exchange",
    "visit",
    "state",
    "official",
    "government",
    "committee",
    "initiative",
    "belt",
    "road",
    "maritime",
];
const HANZI: &[&str] = &[
    "中", "国", "外", "交", "部", "发", "言", "人", "会", "见", "合", "作", "安", "全", "战", "略",
    "伙", "伴", "关", "系", "经", "济", "贸", "易", "发", "展", "和", "平", "稳", "定", "新", "时",
    "代", "精", "华", "选", "教", "授", "金", "灿", "荣", "主", "席", "总", "理", "访", "问",
];
const GIVEN: &[&str] = &[
    "Wei", "Li", "Ming", "Anna", "Ivan", "Sergei", "Hua", "Jian", "Olga", "Yi", "Jun", "Pavel",
];
const FAMILY: &[&str] = &[
    "Wang", "Zhang", "Chen", "Ivanov", "Petrov", "Liu", "Zhao", "Smirnov", "Huang", "Zhou",
];
const KINDS: &[&str] = &[
    "GOVERNMENT",
    "NEWS_AGENCY",
    "NEWSPAPER",
    "BROADCASTER",
    "BLOG",
    "ACADEMIC",
    "SOCIAL",
    "OTHER",
];
const ROLES: &[&str] = &["HOST", "GUEST", "ATTENDEE"];
const CITIES: &[&str] = &[
    "Beijing", "Moscow", "Shanghai", "Geneva", "New York", "Astana", "Hanoi",
];
const VERBS: &[&str] = &["said", "stressed", "pointed out", "noted", "added"];

fn english(random: &mut Random, words: usize) -> String {
    (0..words)
        .map(|_| random.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn chinese(random: &mut Random, characters: usize) -> String {
    (0..characters).map(|_| random.pick(HANZI)).collect()
}

fn capitalised(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Writes the data set.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    let scale = |per_100k: usize| (per_100k * args.articles / 100_000).max(2);
    let (sources, tags, people, meetings) = (scale(200), scale(500), scale(5_000), scale(20_000));
    let mut random = Random(args.seed);
    let mut line = |value: Value| -> anyhow::Result<()> {
        serde_json::to_writer(&mut out, &value)?;
        out.write_all(b"\n")?;
        Ok(())
    };
    let start = Utc
        .with_ymd_and_hms(2016, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    for i in 0..sources {
        line(
            json!({"type": "source", "slug": format!("source-{i}"), "name": format!("{} Daily {i}", capitalised(english(&mut random, 1))),
                    "kind": random.pick(KINDS), "url": format!("https://source-{i}.example")}),
        )?;
    }
    for i in 0..tags {
        let name = if random.chance(40) {
            chinese(&mut random, 4)
        } else {
            english(&mut random, 2)
        };
        line(json!({"type": "tag", "slug": format!("tag-{i}"), "name": format!("{name} {i}")}))?;
    }
    for i in 0..people {
        let name = format!("{} {} {i}", random.pick(GIVEN), random.pick(FAMILY));
        let aliases: Vec<String> = (0..random.between(0, 2))
            .map(|a| format!("{name} alias {a}"))
            .collect();
        let positions: Vec<Value> = (0..random.between(0, 2))
            .map(|_| json!({"title": capitalised(english(&mut random, 2)), "organization": format!("Ministry of {}", capitalised(english(&mut random, 1)))}))
            .collect();
        line(
            json!({"type": "person", "slug": format!("person-{i}"), "name": name, "nativeName": chinese(&mut random, 3),
                    "country": if random.chance(50) { "CN" } else { "RU" }, "aliases": aliases, "positions": positions}),
        )?;
    }
    for i in 0..meetings {
        let day = start + Duration::days(random.between(0, 3650) as i64);
        let participants: Vec<Value> = random.some(2, 8, people)
            .into_iter()
            .enumerate()
            .map(|(n, p)| json!({"person": format!("person-{p}"), "role": if n == 0 { "HOST" } else { ROLES[1 + n % 2] }}))
            .collect();
        line(
            json!({"type": "meeting", "slug": format!("meeting-{i}"), "title": capitalised(english(&mut random, 5)),
                    "heldOn": day.format("%Y-%m-%d").to_string(), "city": random.pick(CITIES), "participants": participants}),
        )?;
    }
    for i in 0..args.articles {
        let zh = random.chance(30);
        let (title, body) = if zh {
            (chinese(&mut random, 12), chinese(&mut random, 300))
        } else {
            (
                capitalised(english(&mut random, 8)),
                english(&mut random, 120),
            )
        };
        let published = start + Duration::minutes(random.between(0, 3650 * 24 * 60) as i64);
        let draft = random.chance(5);
        let mentioned: Vec<usize> = random.some(1, 8, people);
        let reported: Vec<usize> = random.some(0, 2, meetings);
        let quotes: Vec<Value> = (0..random.between(0, 4))
            .map(|_| {
                let person = mentioned[random.between(0, mentioned.len() - 1)];
                let mut quote = json!({"person": format!("person-{person}"), "verb": random.pick(VERBS), "text": capitalised(english(&mut random, 25))});
                if let Some(meeting) = reported.first() {
                    quote["meeting"] = json!(format!("meeting-{meeting}"));
                }
                quote
            })
            .collect();
        line(json!({
            "type": "article", "slug": format!("article-{i}"), "title": title, "body": body,
            "language": if zh { "zh" } else { "en" }, "status": if draft { "DRAFT" } else { "PUBLISHED" },
            "featured": random.chance(3),
            "publishedAt": if draft { Value::Null } else { json!(published.to_rfc3339()) },
            "source": format!("source-{}", random.between(0, sources - 1)),
            "tags": random.some(1, 5, tags).iter().map(|t| format!("tag-{t}")).collect::<Vec<_>>(),
            "people": mentioned.iter().map(|p| format!("person-{p}")).collect::<Vec<_>>(),
            "meetings": reported.iter().map(|m| format!("meeting-{m}")).collect::<Vec<_>>(),
            "quotes": quotes,
        }))?;
    }
    out.flush()?;
    Ok(())
}
