//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) for third-party applications, in JSON
//! and XML with the specification's field and element names: discovery, the services (one per active
//! category) and their definitions, filing requests (`filing.rs`), reading them (`requests.rs`), and the
//! applications' API keys (`keys.rs`).

pub mod filing;
pub mod keys;
pub mod requests;
pub mod xml;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use self::xml::{Element, ToXml};
use crate::categories::{list_active, CategoryRow};
use crate::config::ServiceArea;
use crate::db::schema::categories;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::ProvinceCode;

/// When this endpoint's behaviour last changed, for discovery's `changeset`.
pub const CHANGESET: &str = "2026-12-02T00:00:00Z";
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// An Open311 error: its HTTP status and a description, answered as `[{code, description}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Open311Error {
    pub code: u16,
    pub description: String,
}

impl Open311Error {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Open311Error { code, description: description.into() }
    }
}

/// Our own errors (the database away, …) told the Open311 way.
impl From<AppError> for Open311Error {
    fn from(err: AppError) -> Self {
        let status = actix_web::ResponseError::status_code(&err).as_u16();
        Open311Error::new(status, err.to_string())
    }
}

impl ToXml for Open311Error {
    fn to_xml(&self) -> Element {
        Element::new("error")
            .child(Element::text("code", self.code))
            .child(Element::text("description", &self.description))
    }
}

/// Checks `jurisdiction_id` as clients send it: absent or empty is this deployment; otherwise a province
/// code it serves or `configured`, else 404.
pub fn check_jurisdiction(raw: Option<&str>, area: &ServiceArea, configured: Option<&str>) -> Result<(), Open311Error> {
    let Some(id) = raw.map(str::trim).filter(|id| !id.is_empty()) else { return Ok(()) };
    let known_province =
        ProvinceCode::parse(id).is_some_and(|code| crate::values::is_known_province(&code) && area.contains(&code));
    if known_province || configured == Some(id) {
        Ok(())
    } else {
        Err(Open311Error::new(404, format!("jurisdiction_id not found: {id}")))
    }
}

/// Discovery: where this endpoint is and what it speaks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Endpoint {
    pub specification: String,
    pub url: String,
    pub changeset: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub formats: Vec<String>,
}

pub fn discovery(public_url: &str, contact: &str) -> Discovery {
    let base = public_url.trim_end_matches('/');
    Discovery {
        changeset: CHANGESET.into(),
        contact: contact.into(),
        key_service: format!(
            "Khóa API do quản trị viên của tỉnh cấp (POST {base}/api/v1/admin/api-keys); liên hệ {contact}. \
             API keys are issued by the province's administrators; write to {contact}."
        ),
        endpoints: vec![Endpoint {
            specification: SPECIFICATION.into(),
            url: format!("{base}/open311/v2"),
            changeset: CHANGESET.into(),
            kind: "production".into(),
            formats: vec!["text/xml".into(), "application/json".into()],
        }],
    }
}

impl ToXml for Discovery {
    fn to_xml(&self) -> Element {
        let endpoints = self.endpoints.iter().map(|e| {
            let formats = e.formats.iter().map(|f| Element::text("format", f));
            Element::new("endpoint")
                .child(Element::text("specification", &e.specification))
                .child(Element::text("url", &e.url))
                .child(Element::text("changeset", &e.changeset))
                .child(Element::text("type", &e.kind))
                .child(Element::new("formats").children(formats))
        });
        Element::new("discovery")
            .child(Element::text("changeset", &self.changeset))
            .child(Element::text("contact", &self.contact))
            .child(Element::text("key_service", &self.key_service))
            .child(Element::new("endpoints").children(endpoints))
    }
}

/// A service: one per active category.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Service {
    pub service_code: String,
    /// The category's Vietnamese name.
    pub service_name: String,
    /// Its English name.
    pub description: String,
    /// Whether `GET services/{code}` has questions to ask (urgency, where the category allows it).
    pub metadata: bool,
    /// Always `realtime`: each request is a report at once.
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    /// Who handles it: `Cấp xã` (the commune's office) or `Cấp tỉnh` (a provincial department).
    pub group: String,
}

impl From<&CategoryRow> for Service {
    fn from(category: &CategoryRow) -> Service {
        let keywords = category.name_en.to_lowercase().replace(" and ", ", ").replace(" & ", ", ");
        let group = if category.handler_kind == "department" { "Cấp tỉnh" } else { "Cấp xã" };
        Service {
            service_code: category.code.clone(),
            service_name: category.name_vi.clone(),
            description: category.name_en.clone(),
            metadata: category.urgent_allowed,
            kind: "realtime".into(),
            keywords,
            group: group.into(),
        }
    }
}

impl ToXml for Service {
    fn to_xml(&self) -> Element {
        Element::new("service")
            .child(Element::text("service_code", &self.service_code))
            .child(Element::text("service_name", &self.service_name))
            .child(Element::text("description", &self.description))
            .child(Element::text("metadata", self.metadata))
            .child(Element::text("type", &self.kind))
            .child(Element::text("keywords", &self.keywords))
            .child(Element::text("group", &self.group))
    }
}

pub fn services(conn: &mut DbConnection) -> Result<Vec<Service>, AppError> {
    Ok(list_active(conn)?.iter().map(Service::from).collect())
}

/// The questions a service asks beyond the report itself.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    /// `singlevaluelist` for the urgency.
    pub datatype: String,
    pub required: bool,
    pub datatype_description: Option<String>,
    pub order: i32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// The code of the urgency question, answered `attribute[urgent]=true` when filing.
pub const URGENT_ATTRIBUTE: &str = "urgent";

/// The definition of service `code`, or `None` for no active category.
pub fn service_definition(conn: &mut DbConnection, code: &str) -> Result<Option<ServiceDefinition>, AppError> {
    let category: Option<CategoryRow> = categories::table
        .find(code)
        .filter(categories::active.eq(true))
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()?;
    Ok(category.map(|category| {
        let urgent = Attribute {
            variable: true,
            code: URGENT_ATTRIBUTE.into(),
            datatype: "singlevaluelist".into(),
            required: false,
            datatype_description: None,
            order: 1,
            description: "Khẩn cấp: nguy hiểm trước mắt cho người hoặc tài sản? / Urgent: an immediate danger to people or property?"
                .into(),
            values: vec![
                AttributeValue { key: "false".into(), name: "Không / No".into() },
                AttributeValue { key: "true".into(), name: "Khẩn cấp / Urgent".into() },
            ],
        };
        ServiceDefinition {
            service_code: category.code,
            attributes: if category.urgent_allowed { vec![urgent] } else { Vec::new() },
        }
    }))
}

impl ToXml for ServiceDefinition {
    fn to_xml(&self) -> Element {
        let attributes = self.attributes.iter().map(|a| {
            let values = a.values.iter().map(|v| {
                Element::new("value").child(Element::text("key", &v.key)).child(Element::text("name", &v.name))
            });
            Element::new("attribute")
                .child(Element::text("variable", a.variable))
                .child(Element::text("code", &a.code))
                .child(Element::text("datatype", &a.datatype))
                .child(Element::text("required", a.required))
                .child(Element::text("datatype_description", a.datatype_description.as_deref().unwrap_or("")))
                .child(Element::text("order", a.order))
                .child(Element::text("description", &a.description))
                .child(Element::new("values").children(values))
        });
        Element::new("service_definition")
            .child(Element::text("service_code", &self.service_code))
            .child(Element::new("attributes").children(attributes))
    }
}
