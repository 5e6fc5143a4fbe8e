//! The one error type of the API and its one mapping to HTTP: `application/problem+json`
//! (RFC 9457) with a stable machine `code` and a message in Vietnamese or English.
//!
//! Handlers return `AppError`; the `problem_responses` middleware turns it, and every error
//! actix produces on its own (unknown route, bad query string, …), into a localized problem.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The language of messages meant for people. Vietnamese unless the client prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Vi,
    En,
}

impl Locale {
    /// Picks the first supported language of `Accept-Language`, honouring q-values.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Locale::Vi;
        };
        let mut best: Option<(f32, Locale)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality =
                pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let locale = match tag.split('-').next() {
                Some("vi") => Locale::Vi,
                Some("en") => Locale::En,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, locale));
            }
        }
        best.map_or(Locale::Vi, |(_, locale)| locale)
    }

    fn pick(self, vi: &str, en: &str) -> String {
        match self {
            Locale::Vi => vi.to_string(),
            Locale::En => en.to_string(),
        }
    }
}

/// What is wrong with one field of the input.
#[derive(Debug, Clone, PartialEq, strum::EnumIter)]
pub enum FieldIssue {
    Required,
    UnknownField,
    /// The value has the wrong JSON type or shape; serde's own words are kept for the developer.
    InvalidValue(String),
    OutOfRange {
        min: f64,
        max: f64,
    },
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    UnitCode,
    Email,
    Phone,
    Landline,
    CommonPassword,
    PasswordIsIdentity,
    MustBeTrue,
    OneOf(&'static [&'static str]),
    EmailOrPhoneRequired,
    WrongPassword,
    UnknownCategory,
    UnknownMedia,
    OutsideServiceArea,
    NullIsland,
    UrgentNotAllowed,
    InTheFuture,
    TooMany {
        max: usize,
    },
    UnreadableImage,
    TooManyPixels {
        max: u64,
    },
    /// Decoding would take more than `max` bytes (pixels × bytes per pixel): few pixels can be heavy.
    TooManyDecodedBytes {
        max: u64,
    },
    NotAnOfficial,
    NotADepartment,
    /// An onboarding code refused for the reason the `AppError` code names.
    OnboardingCode(&'static str),
    UnknownUser,
    /// NUL and other control characters (tab and line breaks aside) are not text anyone types.
    ControlCharacter,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub issue: FieldIssue,
}

impl FieldError {
    pub fn new(field: impl Into<String>, issue: FieldIssue) -> Self {
        FieldError { field: field.into(), issue }
    }
}

impl FieldIssue {
    /// The codes `OnboardingCode` carries besides the `onboarding_*` codes of `AppError`: refusals that
    /// only a sign-up meets.
    const SIGN_UP_ONBOARDING_CODES: [&'static str; 2] =
        ["onboarding_agent_inactive", "onboarding_campaign_not_started"];

    /// Every code a field error can have, from the variants themselves: the contract's `ProblemField.code`.
    pub fn all_codes() -> Vec<&'static str> {
        use strum::IntoEnumIterator;
        let onboarding = || AppError::all_codes().into_iter().filter(|code| code.starts_with("onboarding_"));
        let codes = FieldIssue::iter().flat_map(|issue| match issue {
            FieldIssue::OnboardingCode(_) => onboarding().chain(Self::SIGN_UP_ONBOARDING_CODES).collect(),
            issue => vec![issue.code()],
        });
        sorted_unique(codes)
    }

    fn code(&self) -> &'static str {
        match self {
            FieldIssue::Required => "required",
            FieldIssue::UnknownField => "unknown_field",
            FieldIssue::InvalidValue(_) => "invalid_value",
            FieldIssue::OutOfRange { .. } => "out_of_range",
            FieldIssue::TooShort { .. } => "too_short",
            FieldIssue::TooLong { .. } => "too_long",
            FieldIssue::UnitCode => "invalid_unit_code",
            FieldIssue::Email => "invalid_email",
            FieldIssue::Phone => "invalid_phone",
            FieldIssue::Landline => "landline_not_accepted",
            FieldIssue::CommonPassword => "common_password",
            FieldIssue::PasswordIsIdentity => "password_is_identity",
            FieldIssue::MustBeTrue => "must_be_true",
            FieldIssue::OneOf(_) => "not_allowed",
            FieldIssue::EmailOrPhoneRequired => "email_or_phone_required",
            FieldIssue::WrongPassword => "wrong_password",
            FieldIssue::UnknownCategory => "unknown_category",
            FieldIssue::UnknownMedia => "unknown_media",
            FieldIssue::OutsideServiceArea => "outside_service_area",
            FieldIssue::NullIsland => "null_position",
            FieldIssue::UrgentNotAllowed => "urgent_not_allowed",
            FieldIssue::InTheFuture => "in_the_future",
            FieldIssue::TooMany { .. } => "too_many",
            FieldIssue::UnreadableImage => "unreadable_image",
            FieldIssue::TooManyPixels { .. } => "image_too_large",
            FieldIssue::TooManyDecodedBytes { .. } => "too_many_decoded_bytes",
            FieldIssue::NotAnOfficial => "not_an_official",
            FieldIssue::NotADepartment => "not_a_department",
            FieldIssue::OnboardingCode(code) => code,
            FieldIssue::UnknownUser => "unknown_user",
            FieldIssue::ControlCharacter => "control_character",
        }
    }

    fn message(&self, locale: Locale) -> String {
        match self {
            FieldIssue::Required => locale.pick("Trường này là bắt buộc.", "This field is required."),
            FieldIssue::UnknownField => locale.pick("Trường này không được hỗ trợ.", "This field is not supported."),
            FieldIssue::InvalidValue(why) => match locale {
                Locale::Vi => format!("Giá trị không hợp lệ ({why})."),
                Locale::En => format!("Invalid value ({why})."),
            },
            FieldIssue::OutOfRange { min, max } => match locale {
                Locale::Vi => format!("Giá trị phải nằm trong khoảng từ {min} đến {max}."),
                Locale::En => format!("The value must be between {min} and {max}."),
            },
            FieldIssue::TooShort { min } => match locale {
                Locale::Vi => format!("Tối thiểu {min} ký tự."),
                Locale::En => format!("At least {min} characters."),
            },
            FieldIssue::TooLong { max } => match locale {
                Locale::Vi => format!("Tối đa {max} ký tự."),
                Locale::En => format!("At most {max} characters."),
            },
            FieldIssue::UnitCode => locale.pick(
                "Mã đơn vị hành chính gồm 2 chữ số (tỉnh) hoặc 5 chữ số (xã, phường).",
                "An administrative unit code has 2 digits (province) or 5 digits (commune, ward).",
            ),
            FieldIssue::Email => locale.pick("Địa chỉ email không hợp lệ.", "This is not a valid email address."),
            FieldIssue::Phone => locale.pick(
                "Số điện thoại di động không hợp lệ (ví dụ 0912 345 678).",
                "Not a valid Vietnamese mobile number (e.g. 0912 345 678).",
            ),
            FieldIssue::Landline => locale.pick(
                "Vui lòng dùng số di động, không dùng số điện thoại cố định.",
                "Use a mobile number; landlines are not accepted.",
            ),
            FieldIssue::CommonPassword => {
                locale.pick("Mật khẩu này quá phổ biến, dễ bị đoán.", "This password is too common and easy to guess.")
            }
            FieldIssue::PasswordIsIdentity => locale.pick(
                "Mật khẩu không được trùng với số điện thoại hoặc email.",
                "The password must not be your phone number or email.",
            ),
            FieldIssue::MustBeTrue => locale.pick("Bạn cần đồng ý để tiếp tục.", "You must agree to continue."),
            FieldIssue::OneOf(allowed) => match locale {
                Locale::Vi => format!("Giá trị phải là một trong: {}.", allowed.join(", ")),
                Locale::En => format!("The value must be one of: {}.", allowed.join(", ")),
            },
            FieldIssue::EmailOrPhoneRequired => {
                locale.pick("Cần có số điện thoại hoặc email.", "A phone number or an email is required.")
            }
            FieldIssue::WrongPassword => locale.pick("Mật khẩu không đúng.", "The password is wrong."),
            FieldIssue::UnknownCategory => locale.pick("Không có lĩnh vực phản ánh này.", "There is no such category."),
            FieldIssue::UnknownMedia => locale.pick(
                "Ảnh không tồn tại, không phải của bạn hoặc đã được dùng.",
                "The photo does not exist, is not yours, or is already used.",
            ),
            FieldIssue::OutsideServiceArea => locale.pick(
                "Vị trí này không thuộc địa bàn hệ thống đang phục vụ.",
                "This position is outside the area this service covers.",
            ),
            FieldIssue::NullIsland => locale.pick(
                "Vị trí (0, 0) không hợp lệ: điện thoại chưa lấy được GPS.",
                "Position (0, 0) is not valid: the phone has no GPS fix yet.",
            ),
            FieldIssue::UrgentNotAllowed => {
                locale.pick("Lĩnh vực này không nhận phản ánh khẩn cấp.", "This category does not take urgent reports.")
            }
            FieldIssue::InTheFuture => locale.pick("Thời điểm này ở tương lai.", "This time is in the future."),
            FieldIssue::TooMany { max } => match locale {
                Locale::Vi => format!("Tối đa {max} mục."),
                Locale::En => format!("At most {max} items."),
            },
            FieldIssue::UnreadableImage => locale.pick(
                "Không đọc được ảnh (tệp hỏng hoặc không đầy đủ).",
                "The image cannot be read (damaged or incomplete).",
            ),
            FieldIssue::NotAnOfficial => locale.pick("Người này không phải cán bộ.", "This person is not an official."),
            FieldIssue::NotADepartment => {
                locale.pick("Đây không phải sở, ngành của tỉnh này.", "This is not a department of this province.")
            }
            FieldIssue::OnboardingCode(code) => match *code {
                "onboarding_campaign_ended" => {
                    locale.pick("Chiến dịch của mã này đã kết thúc.", "This code's campaign has ended.")
                }
                "onboarding_campaign_closed" => {
                    locale.pick("Chiến dịch của mã này đã đóng.", "This code's campaign is closed.")
                }
                "onboarding_agent_inactive" => locale
                    .pick("Mã của tình nguyện viên này đã ngừng dùng.", "This volunteer's code is no longer in use."),
                "onboarding_campaign_not_started" => {
                    locale.pick("Chiến dịch của mã này chưa bắt đầu.", "This code's campaign has not started yet.")
                }
                _ => locale.pick("Mã giới thiệu không hợp lệ.", "Not a genuine onboarding code."),
            },
            FieldIssue::UnknownUser => locale.pick("Không có tài khoản này.", "There is no such account."),
            FieldIssue::ControlCharacter => locale.pick(
                "Không được chứa ký tự điều khiển (như NUL).",
                "Control characters (such as NUL) are not allowed.",
            ),
            FieldIssue::TooManyPixels { max } => match locale {
                Locale::Vi => format!("Ảnh quá lớn: tối đa {} triệu điểm ảnh.", max / 1_000_000),
                Locale::En => format!("The image is too large: at most {} megapixels.", max / 1_000_000),
            },
            FieldIssue::TooManyDecodedBytes { max } => match locale {
                Locale::Vi => format!(
                    "Ảnh cần quá nhiều bộ nhớ để giải mã (tối đa {} MiB); hãy gửi ảnh 8 bit hoặc nhỏ hơn.",
                    max >> 20
                ),
                Locale::En => format!(
                    "The image needs too much memory to decode (at most {} MiB); send an 8-bit or smaller image.",
                    max >> 20
                ),
            },
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, strum::EnumIter)]
pub enum AppError {
    #[error("invalid input: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("no administrative unit {0}")]
    UnitNotFound(String),
    #[error("an account with these details exists")]
    AccountExists,
    #[error("not authenticated")]
    Unauthenticated,
    #[error("access token expired")]
    TokenExpired,
    #[error("forbidden")]
    Forbidden,
    #[error("wrong login or password")]
    InvalidCredentials,
    #[error("account disabled")]
    AccountDisabled,
    #[error("too many failed log-ins; locked for {retry_after_secs} s")]
    LoginLocked { retry_after_secs: u64 },
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("refresh token reused; its session is revoked")]
    RefreshTokenReused,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("no such user")]
    UserNotFound,
    #[error("administrators cannot demote or deactivate themselves")]
    CannotChangeSelf,
    #[error("Idempotency-Key header missing or malformed")]
    IdempotencyKeyRequired,
    #[error("Idempotency-Key reused with another request")]
    IdempotencyKeyReused,
    #[error("no such report")]
    ReportNotFound,
    #[error("not allowed while the report is {0}")]
    InvalidTransition(String),
    #[error("one cannot support one's own report")]
    OwnReport,
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedImage,
    #[error("no such photo")]
    MediaNotFound,
    #[error("no such notification")]
    NotificationNotFound,
    #[error("malformed multipart body: {0}")]
    MalformedMultipart(String),
    #[error("no such organization")]
    OrganizationNotFound,
    #[error("the organization exists")]
    OrganizationExists,
    #[error("the time to reopen has passed")]
    ReopenPeriodOver,
    #[error("no such campaign")]
    CampaignNotFound,
    #[error("no such agent")]
    AgentNotFound,
    #[error("the campaign is closed")]
    CampaignClosed,
    #[error("not a genuine onboarding code")]
    OnboardingCodeInvalid,
    #[error("the onboarding campaign has ended")]
    OnboardingCampaignEnded,
    #[error("the onboarding campaign is closed")]
    OnboardingCampaignClosed,
    #[error("the account is already credited to a campaign")]
    AlreadyCredited,
    #[error("position outside the service area")]
    OutsideServiceArea,
    #[error("no SMS gateway is configured")]
    SmsUnavailable,
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// An error status actix produced that has no meaning of ours (kept so nothing is ever bare).
    #[error("HTTP {0}")]
    Http(StatusCode),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, issue: FieldIssue) -> Self {
        AppError::Validation(vec![FieldError::new(field, issue)])
    }

    /// Every code `code()` can give, from the variants themselves: the contract's `Problem.code`.
    pub fn all_codes() -> Vec<&'static str> {
        use strum::IntoEnumIterator;
        let codes = AppError::iter().flat_map(|error| match error {
            // Statuses of actix's own: one code for client errors, one for the rest.
            AppError::Http(_) => vec![
                AppError::Http(StatusCode::BAD_REQUEST).code(),
                AppError::Http(StatusCode::INTERNAL_SERVER_ERROR).code(),
            ],
            error => vec![error.code()],
        });
        sorted_unique(codes)
    }

    /// The stable, machine-readable name of the error: the mobile app branches on it.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            AppError::MalformedJson(_) => "malformed_json",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::RouteNotFound => "route_not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::UnitNotFound(_) => "unit_not_found",
            AppError::AccountExists => "account_exists",
            AppError::Unauthenticated => "unauthenticated",
            AppError::TokenExpired => "token_expired",
            AppError::Forbidden => "forbidden",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::AccountDisabled => "account_disabled",
            AppError::LoginLocked { .. } => "too_many_attempts",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::InvalidRefreshToken => "invalid_refresh_token",
            AppError::RefreshTokenReused => "refresh_token_reused",
            AppError::InvalidToken => "invalid_token",
            AppError::UserNotFound => "user_not_found",
            AppError::CannotChangeSelf => "cannot_change_self",
            AppError::IdempotencyKeyRequired => "idempotency_key_required",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::ReportNotFound => "report_not_found",
            AppError::InvalidTransition(_) => "invalid_transition",
            AppError::OwnReport => "own_report",
            AppError::UnsupportedImage => "unsupported_media_type",
            AppError::MediaNotFound => "media_not_found",
            AppError::NotificationNotFound => "notification_not_found",
            AppError::MalformedMultipart(_) => "malformed_multipart",
            AppError::OrganizationNotFound => "organization_not_found",
            AppError::OrganizationExists => "organization_exists",
            AppError::CampaignNotFound => "campaign_not_found",
            AppError::AgentNotFound => "agent_not_found",
            AppError::CampaignClosed => "campaign_closed",
            AppError::OnboardingCodeInvalid => "onboarding_code_invalid",
            AppError::OnboardingCampaignEnded => "onboarding_campaign_ended",
            AppError::OnboardingCampaignClosed => "onboarding_campaign_closed",
            AppError::AlreadyCredited => "already_credited",
            AppError::ReopenPeriodOver => "reopen_period_over",
            AppError::OutsideServiceArea => "outside_service_area",
            AppError::SmsUnavailable => "sms_unavailable",
            AppError::DatabaseUnavailable(_) => "database_unavailable",
            AppError::Internal(_) => "internal_error",
            AppError::Http(status) if status.is_client_error() => "bad_request",
            AppError::Http(_) => "internal_error",
        }
    }

    fn title(&self, locale: Locale) -> String {
        let (vi, en) = match self {
            AppError::Validation(_) => ("Dữ liệu không hợp lệ", "Invalid input"),
            AppError::MalformedJson(_) => ("JSON không đúng cú pháp", "Malformed JSON"),
            AppError::UnsupportedMediaType => ("Kiểu nội dung không được hỗ trợ", "Unsupported content type"),
            AppError::PayloadTooLarge { .. } => ("Dữ liệu gửi lên quá lớn", "Request body too large"),
            AppError::RouteNotFound => ("Không tìm thấy địa chỉ", "Route not found"),
            AppError::MethodNotAllowed => ("Phương thức không được phép", "Method not allowed"),
            AppError::UnitNotFound(_) => ("Không tìm thấy đơn vị hành chính", "Administrative unit not found"),
            AppError::AccountExists => ("Tài khoản đã tồn tại", "Account exists"),
            AppError::Unauthenticated => ("Chưa đăng nhập", "Not signed in"),
            AppError::TokenExpired => ("Phiên đăng nhập đã hết hạn", "Session expired"),
            AppError::Forbidden => ("Không có quyền", "Forbidden"),
            AppError::InvalidCredentials => ("Sai thông tin đăng nhập", "Wrong login or password"),
            AppError::AccountDisabled => ("Tài khoản đã bị khóa", "Account disabled"),
            AppError::LoginLocked { .. } => ("Đăng nhập sai quá nhiều lần", "Too many failed log-ins"),
            AppError::RateLimited { .. } => ("Quá nhiều yêu cầu", "Too many requests"),
            AppError::InvalidRefreshToken => ("Phiên đăng nhập không hợp lệ", "Invalid session"),
            AppError::RefreshTokenReused => ("Phiên đăng nhập đã bị thu hồi", "Session revoked"),
            AppError::InvalidToken => ("Mã xác nhận không hợp lệ", "Invalid or expired token"),
            AppError::UserNotFound => ("Không tìm thấy người dùng", "User not found"),
            AppError::CannotChangeSelf => ("Không thể tự thay đổi", "Cannot change yourself"),
            AppError::IdempotencyKeyRequired => ("Thiếu khóa chống gửi trùng", "Idempotency-Key required"),
            AppError::IdempotencyKeyReused => ("Khóa chống gửi trùng đã dùng", "Idempotency-Key reused"),
            AppError::ReportNotFound => ("Không tìm thấy phản ánh", "Report not found"),
            AppError::InvalidTransition(_) => ("Không thể thực hiện ở trạng thái này", "Not allowed in this status"),
            AppError::OwnReport => ("Không thể ủng hộ phản ánh của chính mình", "Cannot support your own report"),
            AppError::UnsupportedImage => ("Định dạng ảnh không được hỗ trợ", "Unsupported image format"),
            AppError::MediaNotFound => ("Không tìm thấy ảnh", "Photo not found"),
            AppError::NotificationNotFound => ("Không tìm thấy thông báo", "Notification not found"),
            AppError::MalformedMultipart(_) => ("Dữ liệu tải lên không đúng định dạng", "Malformed upload"),
            AppError::OrganizationNotFound => ("Không tìm thấy cơ quan", "Organization not found"),
            AppError::OrganizationExists => ("Cơ quan đã tồn tại", "Organization exists"),
            AppError::CampaignNotFound => ("Không tìm thấy chiến dịch", "Campaign not found"),
            AppError::AgentNotFound => ("Không tìm thấy tình nguyện viên", "Agent not found"),
            AppError::CampaignClosed => ("Chiến dịch đã đóng", "Campaign closed"),
            AppError::OnboardingCodeInvalid => ("Mã giới thiệu không hợp lệ", "Invalid onboarding code"),
            AppError::OnboardingCampaignEnded => ("Chiến dịch đã kết thúc", "Campaign ended"),
            AppError::OnboardingCampaignClosed => ("Chiến dịch đã đóng", "Campaign closed"),
            AppError::AlreadyCredited => ("Tài khoản đã được ghi nhận", "Already credited"),
            AppError::ReopenPeriodOver => ("Đã quá hạn mở lại", "Too late to reopen"),
            AppError::OutsideServiceArea => ("Vị trí ngoài phạm vi phục vụ", "Position outside the service area"),
            AppError::SmsUnavailable => ("Chưa gửi được tin nhắn SMS", "Text messages cannot be sent"),
            AppError::DatabaseUnavailable(_) => ("Hệ thống tạm thời gián đoạn", "Service temporarily unavailable"),
            AppError::Internal(_) => ("Lỗi hệ thống", "Internal error"),
            AppError::Http(_) => ("Yêu cầu không thể xử lý", "The request cannot be handled"),
        };
        locale.pick(vi, en)
    }

    fn detail(&self, locale: Locale) -> String {
        match (self, locale) {
            (AppError::Validation(_), Locale::Vi) => "Vui lòng kiểm tra các trường được nêu trong `errors`.".into(),
            (AppError::Validation(_), Locale::En) => "Check the fields listed in `errors`.".into(),
            (AppError::MalformedJson(why), Locale::Vi) => format!("Nội dung gửi lên không phải JSON hợp lệ: {why}"),
            (AppError::MalformedJson(why), Locale::En) => format!("The request body is not valid JSON: {why}"),
            (AppError::UnsupportedMediaType, Locale::Vi) => {
                "Hãy gửi nội dung với Content-Type: application/json.".into()
            }
            (AppError::UnsupportedMediaType, Locale::En) => "Send the body with Content-Type: application/json.".into(),
            (AppError::PayloadTooLarge { limit }, Locale::Vi) => format!("Dung lượng tối đa là {limit} byte."),
            (AppError::PayloadTooLarge { limit }, Locale::En) => format!("The limit is {limit} bytes."),
            (AppError::RouteNotFound, Locale::Vi) => "Địa chỉ API này không tồn tại.".into(),
            (AppError::RouteNotFound, Locale::En) => "There is no API route at this address.".into(),
            (AppError::MethodNotAllowed, Locale::Vi) => "Địa chỉ này không hỗ trợ phương thức HTTP đã dùng.".into(),
            (AppError::MethodNotAllowed, Locale::En) => "This route does not support the HTTP method used.".into(),
            (AppError::UnitNotFound(code), Locale::Vi) => format!("Không có đơn vị hành chính mã {code}."),
            (AppError::UnitNotFound(code), Locale::En) => format!("There is no administrative unit with code {code}."),
            (AppError::AccountExists, Locale::Vi) => "Đã có tài khoản dùng thông tin này.".into(),
            (AppError::AccountExists, Locale::En) => "An account with these details already exists.".into(),
            (AppError::Unauthenticated, Locale::Vi) => "Vui lòng đăng nhập (thiếu hoặc sai mã truy cập).".into(),
            (AppError::Unauthenticated, Locale::En) => "Sign in first: the access token is missing or invalid.".into(),
            (AppError::TokenExpired, Locale::Vi) => "Mã truy cập đã hết hạn; hãy làm mới phiên đăng nhập.".into(),
            (AppError::TokenExpired, Locale::En) => "The access token has expired; refresh the session.".into(),
            (AppError::Forbidden, Locale::Vi) => "Tài khoản của bạn không có quyền thực hiện thao tác này.".into(),
            (AppError::Forbidden, Locale::En) => "Your account may not do this.".into(),
            (AppError::InvalidCredentials, Locale::Vi) => "Số điện thoại/email hoặc mật khẩu không đúng.".into(),
            (AppError::InvalidCredentials, Locale::En) => "The phone number/email or password is wrong.".into(),
            (AppError::AccountDisabled, Locale::Vi) => {
                "Tài khoản này đã bị vô hiệu hóa. Hãy liên hệ quản trị viên.".into()
            }
            (AppError::AccountDisabled, Locale::En) => "This account is disabled. Contact an administrator.".into(),
            (AppError::LoginLocked { retry_after_secs }, Locale::Vi) => {
                format!("Tạm khóa đăng nhập do nhập sai nhiều lần. Thử lại sau {retry_after_secs} giây.")
            }
            (AppError::LoginLocked { retry_after_secs }, Locale::En) => {
                format!("Log-in is locked after repeated failures. Try again in {retry_after_secs} seconds.")
            }
            (AppError::RateLimited { retry_after_secs }, Locale::Vi) => {
                format!("Bạn đã gửi quá nhiều yêu cầu. Thử lại sau {retry_after_secs} giây.")
            }
            (AppError::RateLimited { retry_after_secs }, Locale::En) => {
                format!("Too many requests. Try again in {retry_after_secs} seconds.")
            }
            (AppError::InvalidRefreshToken, Locale::Vi) => {
                "Phiên đăng nhập không hợp lệ hoặc đã hết hạn; hãy đăng nhập lại.".into()
            }
            (AppError::InvalidRefreshToken, Locale::En) => {
                "The refresh token is invalid or expired; sign in again.".into()
            }
            (AppError::RefreshTokenReused, Locale::Vi) => {
                "Mã làm mới đã được dùng trước đó; để an toàn, phiên này đã bị thu hồi. Hãy đăng nhập lại.".into()
            }
            (AppError::RefreshTokenReused, Locale::En) => {
                "This refresh token was already used; for safety its session is revoked. Sign in again.".into()
            }
            (AppError::InvalidToken, Locale::Vi) => "Mã xác nhận không đúng, đã dùng hoặc đã hết hạn.".into(),
            (AppError::InvalidToken, Locale::En) => "The token is wrong, already used or expired.".into(),
            (AppError::UserNotFound, Locale::Vi) => "Không có người dùng này.".into(),
            (AppError::UserNotFound, Locale::En) => "There is no such user.".into(),
            (AppError::CannotChangeSelf, Locale::Vi) => {
                "Quản trị viên không thể tự hạ quyền hoặc tự khóa tài khoản của mình.".into()
            }
            (AppError::CannotChangeSelf, Locale::En) => "Administrators cannot demote or deactivate themselves.".into(),
            (AppError::IdempotencyKeyRequired, Locale::Vi) => {
                "Hãy gửi tiêu đề Idempotency-Key (8–128 ký tự) để gửi lại an toàn khi mạng chập chờn.".into()
            }
            (AppError::IdempotencyKeyRequired, Locale::En) => {
                "Send an Idempotency-Key header (8–128 characters) so retries over a weak network are safe.".into()
            }
            (AppError::IdempotencyKeyReused, Locale::Vi) => {
                "Khóa này đã được dùng cho một phản ánh có nội dung khác.".into()
            }
            (AppError::IdempotencyKeyReused, Locale::En) => {
                "This key was already used for a report with other content.".into()
            }
            (AppError::ReportNotFound, Locale::Vi) => "Không có phản ánh này, hoặc bạn không được xem.".into(),
            (AppError::ReportNotFound, Locale::En) => "There is no such report, or you may not see it.".into(),
            (AppError::InvalidTransition(status), Locale::Vi) => format!("Phản ánh đang ở trạng thái {status}."),
            (AppError::InvalidTransition(status), Locale::En) => format!("The report is {status}."),
            (AppError::OwnReport, Locale::Vi) => "Bạn không thể ủng hộ phản ánh do chính mình gửi.".into(),
            (AppError::OwnReport, Locale::En) => "You cannot support a report you filed.".into(),
            (AppError::UnsupportedImage, Locale::Vi) => {
                "Chỉ nhận ảnh JPEG, PNG hoặc WebP (xét theo nội dung tệp).".into()
            }
            (AppError::UnsupportedImage, Locale::En) => {
                "Only JPEG, PNG or WebP images are accepted (judged by the file's content).".into()
            }
            (AppError::MediaNotFound, Locale::Vi) => "Không có ảnh này, hoặc bạn không được xem.".into(),
            (AppError::MediaNotFound, Locale::En) => "There is no such photo, or you may not see it.".into(),
            (AppError::NotificationNotFound, Locale::Vi) => "Bạn không có thông báo này.".into(),
            (AppError::NotificationNotFound, Locale::En) => "You have no such notification.".into(),
            (AppError::MalformedMultipart(why), Locale::Vi) => {
                format!("Hãy gửi multipart/form-data với một tệp ở trường `file` ({why}).")
            }
            (AppError::MalformedMultipart(why), Locale::En) => {
                format!("Send multipart/form-data with one file in the field `file` ({why}).")
            }
            (AppError::CampaignNotFound, Locale::Vi) => "Không có chiến dịch này, hoặc bạn không được xem.".into(),
            (AppError::CampaignNotFound, Locale::En) => "There is no such campaign, or you may not see it.".into(),
            (AppError::AgentNotFound, Locale::Vi) => "Không có tình nguyện viên này trong chiến dịch.".into(),
            (AppError::AgentNotFound, Locale::En) => "There is no such agent in the campaign.".into(),
            (AppError::CampaignClosed, Locale::Vi) => "Chiến dịch đã đóng, không thể thay đổi.".into(),
            (AppError::CampaignClosed, Locale::En) => "The campaign is closed and can no longer change.".into(),
            (AppError::OnboardingCodeInvalid, Locale::Vi) => {
                "Mã QR không phải do chương trình cấp. Hãy quét lại mã của tình nguyện viên.".into()
            }
            (AppError::OnboardingCodeInvalid, Locale::En) => {
                "This QR code was not issued by the programme. Scan the volunteer's code again.".into()
            }
            (AppError::OnboardingCampaignEnded, Locale::Vi) => {
                "Chiến dịch của mã này đã kết thúc; bạn vẫn có thể đăng ký không cần mã.".into()
            }
            (AppError::OnboardingCampaignEnded, Locale::En) => {
                "This code's campaign has ended; you can still sign up without it.".into()
            }
            (AppError::OnboardingCampaignClosed, Locale::Vi) => {
                "Chiến dịch của mã này đã đóng; bạn vẫn có thể đăng ký không cần mã.".into()
            }
            (AppError::OnboardingCampaignClosed, Locale::En) => {
                "This code's campaign is closed; you can still sign up without it.".into()
            }
            (AppError::AlreadyCredited, Locale::Vi) => {
                "Tài khoản đã được ghi nhận cho một chiến dịch; mã sau không thay đổi điều đó.".into()
            }
            (AppError::AlreadyCredited, Locale::En) => {
                "The account is already credited to a campaign; a later code does not move it.".into()
            }
            (AppError::OrganizationNotFound, Locale::Vi) => "Không có cơ quan này.".into(),
            (AppError::OrganizationNotFound, Locale::En) => "There is no such organization.".into(),
            (AppError::OrganizationExists, Locale::Vi) => {
                "Xã, phường này đã có trụ sở UBND, hoặc tỉnh đã có IOC.".into()
            }
            (AppError::OrganizationExists, Locale::En) => {
                "This commune already has its office, or the province its IOC.".into()
            }
            (AppError::ReopenPeriodOver, Locale::Vi) => {
                "Chỉ mở lại được trong 7 ngày sau khi xử lý xong; hãy gửi phản ánh mới.".into()
            }
            (AppError::ReopenPeriodOver, Locale::En) => {
                "A report can be reopened for 7 days after it was resolved; file a new one.".into()
            }
            (AppError::OutsideServiceArea, Locale::Vi) => {
                "Vị trí này không thuộc địa bàn mà hệ thống đang phục vụ.".into()
            }
            (AppError::OutsideServiceArea, Locale::En) => {
                "This position is outside the area this service covers.".into()
            }
            (AppError::SmsUnavailable, Locale::Vi) => {
                "Hệ thống chưa có cổng gửi SMS nên không gửi được mã kích hoạt. Hãy hướng dẫn người dân tự đăng ký."
                    .into()
            }
            (AppError::SmsUnavailable, Locale::En) => {
                "No SMS gateway is configured, so no activation code can be sent. Help the person sign up themselves."
                    .into()
            }
            (AppError::DatabaseUnavailable(_), Locale::Vi) => {
                "Cơ sở dữ liệu không phản hồi. Vui lòng thử lại sau.".into()
            }
            (AppError::DatabaseUnavailable(_), Locale::En) => {
                "The database is not responding. Please try again later.".into()
            }
            (AppError::Internal(_), Locale::Vi) => "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau.".into(),
            (AppError::Internal(_), Locale::En) => "Something unexpected went wrong. Please try again later.".into(),
            (AppError::Http(status), Locale::Vi) => format!("Máy chủ trả lời HTTP {}.", status.as_u16()),
            (AppError::Http(status), Locale::En) => status.canonical_reason().unwrap_or("Error").to_string(),
        }
    }

    /// Renders the problem document in `locale`; the single place an error becomes HTTP.
    pub fn to_problem(&self, locale: Locale) -> HttpResponse {
        if matches!(self, AppError::Internal(_) | AppError::DatabaseUnavailable(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let status = self.status_code();
        let errors = match self {
            AppError::Validation(fields) => fields
                .iter()
                .map(|f| ProblemField {
                    field: f.field.clone(),
                    code: f.issue.code().to_string(),
                    message: f.issue.message(locale),
                })
                .collect(),
            _ => Vec::new(),
        };
        let problem = Problem {
            r#type: format!("urn:congdanso:problem:{}", self.code()),
            title: self.title(locale),
            status: status.as_u16(),
            detail: self.detail(locale),
            code: self.code().to_string(),
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CONTENT_LANGUAGE, if locale == Locale::En { "en" } else { "vi" }));
        match self {
            AppError::DatabaseUnavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            AppError::LoginLocked { retry_after_secs } | AppError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unauthenticated | AppError::TokenExpired => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RouteNotFound | AppError::UnitNotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::AccountExists
            | AppError::CannotChangeSelf
            | AppError::IdempotencyKeyReused
            | AppError::InvalidTransition(_)
            | AppError::OwnReport
            | AppError::OrganizationExists
            | AppError::CampaignClosed
            | AppError::AlreadyCredited
            | AppError::ReopenPeriodOver => StatusCode::CONFLICT,
            AppError::OnboardingCampaignEnded | AppError::OnboardingCampaignClosed => StatusCode::GONE,
            AppError::IdempotencyKeyRequired | AppError::MalformedMultipart(_) => StatusCode::BAD_REQUEST,
            AppError::ReportNotFound
            | AppError::MediaNotFound
            | AppError::NotificationNotFound
            | AppError::CampaignNotFound
            | AppError::AgentNotFound
            | AppError::OnboardingCodeInvalid
            | AppError::OrganizationNotFound => StatusCode::NOT_FOUND,
            AppError::UnsupportedImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unauthenticated
            | AppError::TokenExpired
            | AppError::InvalidCredentials
            | AppError::InvalidRefreshToken
            | AppError::RefreshTokenReused => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::AccountDisabled => StatusCode::FORBIDDEN,
            AppError::LoginLocked { .. } | AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::InvalidToken => StatusCode::BAD_REQUEST,
            AppError::UserNotFound => StatusCode::NOT_FOUND,
            AppError::OutsideServiceArea => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::SmsUnavailable | AppError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Http(status) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem(Locale::Vi)
    }
}

fn sorted_unique(codes: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut codes: Vec<_> = codes.collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// A string schema whose values are `codes`.
fn code_enum(codes: Vec<&'static str>, description: &str) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(codes))
        .description(Some(description))
        .build()
}

fn problem_code_schema() -> utoipa::openapi::Object {
    code_enum(AppError::all_codes(), "Stable machine-readable code, e.g. `validation_failed`, `unit_not_found`.")
}

fn field_code_schema() -> utoipa::openapi::Object {
    code_enum(FieldIssue::all_codes(), "Stable machine-readable code of what is wrong with the field.")
}

/// The body of every error response (RFC 9457 problem details).
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:congdanso:problem:{code}`.
    #[serde(rename = "type")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[schema(schema_with = problem_code_schema)]
    pub code: String,
    /// One entry per invalid field; empty for errors that are not about fields.
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field, e.g. `position.lat` or the query parameter's name.
    pub field: String,
    #[schema(schema_with = field_code_schema)]
    pub code: String,
    pub message: String,
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => AppError::DatabaseUnavailable(info.message().to_string()),
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::DatabaseUnavailable(err.to_string())
    }
}

fn from_payload_error(err: &actix_web::error::PayloadError) -> AppError {
    match err {
        actix_web::error::PayloadError::Overflow => AppError::PayloadTooLarge { limit: crate::limits::JSON_LIMIT },
        _ => AppError::Http(StatusCode::BAD_REQUEST),
    }
}

/// Every error actix can produce on its own, in our terms.
fn from_actix(err: &actix_web::Error, status: StatusCode) -> AppError {
    if let Some(app) = err.as_error::<AppError>() {
        return app.clone();
    }
    if let Some(payload) = err.as_error::<actix_web::error::PayloadError>() {
        return from_payload_error(payload);
    }
    from_status(status)
}

fn from_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge { limit: crate::limits::JSON_LIMIT },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        status => AppError::Http(status),
    }
}

/// An error bound to the language it must be told in.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Localized(AppError, Locale);

impl ResponseError for Localized {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.to_problem(self.1)
    }
}

/// Middleware: every error response leaves as a localized problem document, whatever produced it.
pub async fn problem_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    use futures_util::FutureExt as _;
    let locale = Locale::from_headers(req.headers());
    // A panicking handler would drop the connection without a word: answer 500 like any other bug.
    let outcome = std::panic::AssertUnwindSafe(next.call(req)).catch_unwind().await;
    let Ok(outcome) = outcome else {
        tracing::error!("the handler panicked");
        return Err(Localized(AppError::Internal("handler panicked".into()), locale).into());
    };
    // Errors raised by middleware (rather than handlers) arrive without a request to answer with;
    // actix renders them through `Localized`, in the caller's language all the same.
    let res = outcome.map_err(|err| Localized(from_actix(&err, err.as_response_error().status_code()), locale))?;
    let status = res.status();
    if let Some(err) = res.response().error() {
        let problem = from_actix(err, status).to_problem(locale);
        return Ok(res.into_response(problem));
    }
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        return Ok(res.into_response(from_status(status).to_problem(locale)));
    }
    Ok(res.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    #[actix_web::test]
    async fn a_panicking_handler_is_answered_with_a_500_problem() {
        use actix_web::{test, web, App};
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(problem_responses))
                .route("/boom", web::get().to(|| async { panic!("a bug") as HttpResponse })),
        )
        .await;
        let request = test::TestRequest::get().uri("/boom").insert_header(("Accept-Language", "en")).to_request();
        // The error is what the server renders as the response, as it does for any middleware error.
        let error = test::try_call_service(&app, request).await.err().expect("an error, not a dropped connection");
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers().get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
        let body = actix_web::body::to_bytes(response.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((body["code"].as_str(), body["title"].as_str()), (Some("internal_error"), Some("Internal error")));
    }

    #[test]
    fn the_contract_lists_every_code() {
        let codes = AppError::all_codes();
        for code in ["validation_failed", "bad_request", "internal_error", "account_disabled", "too_many_attempts"] {
            assert!(codes.contains(&code), "{code}");
        }
        let fields = FieldIssue::all_codes();
        for code in ["required", "control_character", "onboarding_code_invalid", "onboarding_agent_inactive"] {
            assert!(fields.contains(&code), "{code}");
        }
        assert!(!fields.contains(&""));
    }

    #[test]
    fn the_sign_up_onboarding_codes_have_their_own_messages() {
        let fallback = FieldIssue::OnboardingCode("").message(Locale::En);
        for code in FieldIssue::SIGN_UP_ONBOARDING_CODES {
            assert_ne!(FieldIssue::OnboardingCode(code).message(Locale::En), fallback, "{code}");
        }
    }

    fn locale_of(accept_language: &str) -> Locale {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static("accept-language"), HeaderValue::from_str(accept_language).unwrap());
        Locale::from_headers(&headers)
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(locale_of("en"), Locale::En);
        assert_eq!(locale_of("en-US,en;q=0.9"), Locale::En);
        assert_eq!(locale_of("fr-FR, vi;q=0.5, en;q=0.4"), Locale::Vi);
        assert_eq!(locale_of("vi-VN, en;q=0.8"), Locale::Vi);
        assert_eq!(locale_of("fr"), Locale::Vi);
        assert_eq!(locale_of("en;q=0"), Locale::Vi);
        assert_eq!(Locale::from_headers(&HeaderMap::new()), Locale::Vi);
    }
}

/// Collects the field errors of several parses, so the client hears about every bad field at once.
#[derive(Debug, Default)]
pub struct FieldErrors {
    fields: Vec<FieldError>,
    other: Option<AppError>,
}

impl FieldErrors {
    /// The parsed value, or `None` with its errors kept for [`FieldErrors::finish`].
    pub fn check<T>(&mut self, result: Result<T, AppError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(AppError::Validation(fields)) => {
                self.fields.extend(fields);
                None
            }
            Err(other) => {
                self.other.get_or_insert(other);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, issue: FieldIssue) {
        self.fields.push(FieldError::new(field, issue));
    }

    pub fn finish(self) -> Result<(), AppError> {
        match (self.other, self.fields.is_empty()) {
            (Some(other), _) => Err(other),
            (None, false) => Err(AppError::Validation(self.fields)),
            (None, true) => Ok(()),
        }
    }
}
