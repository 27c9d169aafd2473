//! A registration as staff type it (登记): the petitioner, the demand and the
//! ledger elements, checked field by field before anything is written.

use xinfang_hub::{Topology, UnitCode};

use crate::error::NodeError;
use crate::labels::Said;
use crate::rules::divisions::Divisions;
use crate::rules::identity::{IdNumber, Phone};
use crate::rules::taxonomy::Taxonomy;

pub use xinfang_proto::limits::{MAX_CONTENT_CHARS, MAX_NOTE_CHARS, MAX_PETITIONER_CHARS};

/// How the petition came in (Reg-2022 art. 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Visit,
    Letter,
    Online,
    Phone,
    Fax,
}

impl Channel {
    /// The stable code (as in JSON and the query tables).
    pub fn code(self) -> &'static str {
        match self {
            Channel::Visit => "visit",
            Channel::Letter => "letter",
            Channel::Online => "online",
            Channel::Phone => "phone",
            Channel::Fax => "fax",
        }
    }
}

/// The ledger elements beyond name and demand. Written once at registration and
/// replicated; personal data only as a keyed hash and masked forms.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Details {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_leader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_unit: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub representatives: Vec<String>,
    #[serde(default)]
    pub head_count: u32,
    /// HMAC of the ID number under the federation's matching key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_masked: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_masked: Option<String>,
    /// HMAC of the phone number under the federation's matching key (a
    /// petitioner's history by phone, across the subtree). Absent from cases
    /// registered before it was kept, or at a node without the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_hash: Option<String>,
    /// The earlier case of the same petitioner on the same matter (重复信访).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<String>,
    /// An open case of the same petitioner on the same matter still being handled
    /// below the registering unit (越级访, Reg-2022 art. 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_level_of: Option<String>,
}

/// Personal data in clear: stays in the registering node's local table.
#[derive(Debug, Clone, Default)]
pub struct Personal {
    pub id: Option<IdNumber>,
    pub phone: Option<Phone>,
}

/// The raw request fields, as typed by staff.
#[derive(Debug, Clone, Default)]
pub struct DetailsInput<'a> {
    pub id_number: &'a str,
    pub phone: &'a str,
    pub address: &'a str,
    pub channel: &'a str,
    pub purpose: &'a str,
    pub category: &'a str,
    pub subcategory: &'a str,
    pub place: &'a str,
    pub cause: &'a str,
    pub receiving_leader: &'a str,
    pub responsible_unit: &'a str,
    pub representatives: &'a [String],
    pub head_count: u32,
}

/// At most five representatives for a group visit (Reg-2022 art. 20).
pub const MAX_REPRESENTATIVES: usize = 5;

/// The longest address a registration takes.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// Largest `details` value (the ledger elements as JSON), in bytes.
pub const MAX_DETAILS_BYTES: usize = 64 << 10;

/// A group petition (集体访) is one that five or more people brought (seed 003
/// art. 13 counts them apart; Reg-2022 art. 20's representatives are for them).
pub const GROUP_VISIT_MIN_PEOPLE: u32 = 5;

/// Whether a petition of `head_count` people is a group petition (集体访).
pub fn is_group_visit(head_count: u32) -> bool {
    head_count >= GROUP_VISIT_MIN_PEOPLE
}

fn optional(field: &'static str, v: &str, max: usize) -> Result<Option<String>, NodeError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        required(field, v, max).map(Some)
    }
}

fn known_unit(
    field: &'static str,
    v: &str,
    topology: &Topology,
) -> Result<Option<UnitCode>, NodeError> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    let code: UnitCode = v
        .trim()
        .parse()
        .map_err(|e| NodeError::not_unit_code(field, v, &e))?;
    if !topology.contains(&code) {
        return Err(NodeError::invalid(
            field,
            Said::new(
                format!("单位{code}不在本联网的单位名册中"),
                format!("unit {code} is not in the federation's topology"),
            ),
        ));
    }
    Ok(Some(code))
}

/// A petitioner's identity number as typed, checked (GB 11643); the refusal
/// names the field.
pub fn id_number(typed: &str) -> Result<IdNumber, NodeError> {
    IdNumber::parse(typed).map_err(|e| NodeError::invalid("id_number", e.said()))
}

/// Where the problem arose: any division of the federation's area (the shipped
/// division list, villages and communities without a node included) or a unit of
/// its topology.
fn place(
    v: &str,
    topology: &Topology,
    divisions: &Divisions,
) -> Result<Option<UnitCode>, NodeError> {
    let code = v.trim();
    if code.is_empty() {
        return Ok(None);
    }
    if divisions.contains(code) {
        let parsed = code
            .parse()
            .map_err(|e| NodeError::not_unit_code("place", code, &e))?;
        return Ok(Some(parsed));
    }
    known_unit("place", code, topology).map_err(|_| {
        NodeError::invalid(
            "place",
            Said::new(
                format!(
                    "{code}既不是本辖区的行政区划（随附区划名录中的，或名录所列乡镇下的村、社区），\
                     也不是本联网的单位"
                ),
                format!(
                    "{code} is not a division of the federation's area (the shipped division \
                     list, or a village or community under a listed town) nor a unit of its \
                     topology"
                ),
            ),
        )
    })
}

impl Details {
    /// Checks the ledger elements; splits personal data off (clear, local) from what
    /// replicates (masked, hashed). `match_key` is needed only with an ID number.
    pub fn validate(
        input: &DetailsInput<'_>,
        taxonomy: &Taxonomy,
        topology: &Topology,
        divisions: &Divisions,
        match_key: Option<&[u8]>,
    ) -> Result<(Details, Personal), NodeError> {
        let channel = match input.channel.trim() {
            "" | "visit" => Channel::Visit,
            "letter" => Channel::Letter,
            "online" => Channel::Online,
            "phone" => Channel::Phone,
            "fax" => Channel::Fax,
            other => {
                return Err(NodeError::invalid(
                    "channel",
                    Said::new(
                        format!(
                            "“{other}”不是信访形式；可选：visit（来访）、letter（来信）、online（网上）、phone（电话）、fax（传真）"
                        ),
                        format!("{other:?} is not one of visit, letter, online, phone, fax"),
                    ),
                ));
            }
        };
        let code = |field: &'static str, v: &str| -> Option<String> {
            let _ = field;
            let v = v.trim();
            (!v.is_empty()).then(|| v.to_owned())
        };
        let purpose = code("purpose", input.purpose);
        if let Some(p) = &purpose {
            taxonomy
                .purpose(p)
                .map_err(|e| NodeError::invalid("purpose", e.said()))?;
        }
        let category = code("category", input.category);
        let subcategory = code("subcategory", input.subcategory);
        match (&category, &subcategory) {
            (Some(c), sub) => {
                taxonomy
                    .category(c, sub.as_deref())
                    .map_err(|e| NodeError::invalid("category", e.said()))?;
            }
            (None, Some(_)) => {
                return Err(NodeError::invalid(
                    "subcategory",
                    Said::new("须先选问题类别", "needs a category"),
                ));
            }
            (None, None) => {}
        }
        if input.representatives.len() > MAX_REPRESENTATIVES {
            return Err(NodeError::invalid(
                "representatives",
                Said::new(
                    format!(
                        "多人走访推选的代表不超过{MAX_REPRESENTATIVES}人（《信访工作条例》第二十条），现为{}人",
                        input.representatives.len()
                    ),
                    format!(
                        "a group visit elects at most {MAX_REPRESENTATIVES} representatives (Reg-2022 art. 20); got {}",
                        input.representatives.len()
                    ),
                ),
            ));
        }
        let mut representatives = Vec::new();
        for r in input.representatives {
            representatives.push(required("representatives", r, MAX_PETITIONER_CHARS)?);
        }
        if (input.head_count as usize) < representatives.len() {
            return Err(NodeError::invalid(
                "head_count",
                Said::new(
                    format!(
                        "人数为{}，但来了{}名代表",
                        input.head_count,
                        representatives.len()
                    ),
                    format!(
                        "is {} but {} representatives came",
                        input.head_count,
                        representatives.len()
                    ),
                ),
            ));
        }
        let id = if input.id_number.trim().is_empty() {
            None
        } else {
            Some(id_number(input.id_number)?)
        };
        let phone = if input.phone.trim().is_empty() {
            None
        } else {
            Some(Phone::parse(input.phone).map_err(|e| NodeError::invalid("phone", e.said()))?)
        };
        let id_hash = match (&id, match_key) {
            (Some(id), Some(key)) => Some(id.keyed_hash(key)),
            (Some(_), None) => {
                return Err(NodeError::invalid(
                    "id_number",
                    Said::new(
                        "本节点没有比对密钥（match.key），不能登记身份证号",
                        "this node has no matching key (match.key), so it cannot register identity numbers",
                    ),
                ));
            }
            (None, _) => None,
        };
        let phone_hash = phone
            .as_ref()
            .zip(match_key)
            .map(|(p, key)| p.keyed_hash(key));
        let details = Details {
            channel,
            purpose,
            category,
            subcategory,
            place: place(input.place, topology, divisions)?,
            cause: optional("cause", input.cause, MAX_CONTENT_CHARS)?,
            receiving_leader: optional(
                "receiving_leader",
                input.receiving_leader,
                MAX_PETITIONER_CHARS,
            )?,
            responsible_unit: known_unit("responsible_unit", input.responsible_unit, topology)?,
            address: optional("address", input.address, MAX_ADDRESS_CHARS)?,
            representatives,
            head_count: input.head_count,
            id_masked: id.as_ref().map(IdNumber::masked),
            phone_masked: phone.as_ref().map(Phone::masked),
            phone_hash,
            id_hash,
            repeat_of: None,
            skip_level_of: None,
        };
        Ok((details, Personal { id, phone }))
    }
}

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub unit: UnitCode,
    pub petitioner: String,
    pub content: String,
    pub details: Details,
    /// The user registering it at the unit's node.
    pub by: Option<String>,
}

pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<String, NodeError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(NodeError::empty(field));
    }
    if v.chars().count() > max {
        return Err(NodeError::too_long(field, max));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(NodeError::invalid(
            field,
            Said::new("不能含控制字符", "must not contain control characters"),
        ));
    }
    Ok(v.to_owned())
}

impl Registration {
    /// Checks a registration request made at the node of unit `me`.
    pub fn validate(
        me: &UnitCode,
        unit: &str,
        petitioner: &str,
        content: &str,
    ) -> Result<Registration, NodeError> {
        let unit: UnitCode = unit
            .parse()
            .map_err(|e| NodeError::not_unit_code("unit", unit, &e))?;
        if &unit != me {
            return Err(NodeError::invalid(
                "unit",
                Said::new(
                    format!("信访事项在本单位的节点登记；本节点是{me}，不是{unit}"),
                    format!(
                        "a case is registered at its own unit's node; this node is {me}, not {unit}"
                    ),
                ),
            ));
        }
        Ok(Registration {
            unit,
            petitioner: required("petitioner", petitioner, MAX_PETITIONER_CHARS)?,
            content: required("content", content, MAX_CONTENT_CHARS)?,
            details: Details::default(),
            by: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules_name_the_field() {
        let me: UnitCode = "441521115001".parse().unwrap();
        let e = Registration::validate(&me, "441521115001", " ", "x").unwrap_err();
        assert!(e.to_string().contains("petitioner"), "{e}");
        let e = Registration::validate(&me, "441521", "张三", "x").unwrap_err();
        assert!(e.to_string().contains("unit"), "{e}");
        let e = Registration::validate(&me, "12", "张三", "x").unwrap_err();
        assert!(e.to_string().contains("unit"), "{e}");
        let long = "字".repeat(MAX_CONTENT_CHARS + 1);
        assert!(Registration::validate(&me, "441521115001", "张三", &long).is_err());
        assert!(Registration::validate(&me, "441521115001", "张三", "诉求").is_ok());
    }

    /// Bad input is said in Chinese as well as English, beside the field it
    /// names (before: English only, behind a Chinese field label).
    #[test]
    fn bad_input_is_said_in_both_languages() {
        use crate::labels::Lang;
        let said = |e: NodeError| match e {
            NodeError::Invalid { field, rule } => (
                field,
                rule.get(Lang::Zh).to_owned(),
                rule.get(Lang::En).to_owned(),
            ),
            other => panic!("not bad input: {other}"),
        };
        let me: UnitCode = "441521115001".parse().unwrap();
        let (field, zh, en) =
            said(Registration::validate(&me, "441521115001", " ", "x").unwrap_err());
        assert_eq!(
            (field, zh.as_str(), en.as_str()),
            ("petitioner", "不能为空", "must not be empty")
        );
        let (field, zh, _) = said(Registration::validate(&me, "4415", "张三", "x").unwrap_err());
        assert_eq!(field, "unit");
        assert!(zh.contains("不是单位代码"), "{zh}");
        let (_, zh, _) = said(id_number("44152119800101001X").unwrap_err());
        assert!(zh.contains("校验码") || zh.contains("应为18位"), "{zh}");
        let topology = super::super::tests::topo();
        let taxonomy = Taxonomy::official().unwrap();
        let divisions = Divisions::official().unwrap();
        for (input, field, zh_has) in [
            (
                DetailsInput {
                    channel: "pigeon",
                    ..Default::default()
                },
                "channel",
                "不是信访形式",
            ),
            (
                DetailsInput {
                    phone: "12",
                    ..Default::default()
                },
                "phone",
                "应为7至15位数字",
            ),
            (
                DetailsInput {
                    category: "nope",
                    ..Default::default()
                },
                "category",
                "没有代码为“nope”的问题类别",
            ),
            (
                DetailsInput {
                    subcategory: "x",
                    ..Default::default()
                },
                "subcategory",
                "须先选问题类别",
            ),
            (
                DetailsInput {
                    place: "441599",
                    ..Default::default()
                },
                "place",
                "不是本辖区的行政区划",
            ),
        ] {
            let e = Details::validate(&input, &taxonomy, &topology, &divisions, None).unwrap_err();
            let (f, zh, en) = said(e);
            assert_eq!(f, field);
            assert!(zh.contains(zh_has), "{field}: {zh}");
            assert!(!en.is_empty() && en != zh, "{field}: {en}");
        }
    }

    /// Before: the place had to be a unit of the topology, so a village without a
    /// node could not be named.
    #[test]
    fn the_place_is_any_division_of_the_area() {
        let topology = super::super::tests::topo();
        let taxonomy = Taxonomy::official().unwrap();
        let divisions = Divisions::official().unwrap();
        let with = |place: &'static str| DetailsInput {
            place,
            ..Default::default()
        };
        let check = |place| Details::validate(&with(place), &taxonomy, &topology, &divisions, None);
        // A village under 海城镇 that runs no node.
        let (d, _) = check("441521115007").unwrap();
        assert_eq!(
            d.place.map(|p| p.to_string()).as_deref(),
            Some("441521115007")
        );
        for bad in ["441599", "441521199001"] {
            let e = check(bad).unwrap_err().to_string();
            assert!(e.contains("place") && e.contains("division"), "{bad}: {e}");
        }
    }
}
