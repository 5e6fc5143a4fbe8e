//! The one error type of the API and its one mapping to HTTP: `application/problem+json`
//! (RFC 9457) with a stable machine `code` and a message in Vietnamese or English.
//!
//! Handlers return `AppError`; the `problem_responses` middleware turns it, and every error
//! actix produces on its own (unknown route, bad query string, …), into a localized problem.
//!
//! Each error is told in one place: its row in `AppError::describe` (code, status, and title and
//! detail in each language), or for a field, its row in `FieldIssue::describe`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::borrow::Cow;
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

    /// Whichever of `vi` and `en` is in this language.
    fn pick<T>(self, vi: T, en: T) -> T {
        match self {
            Locale::Vi => vi,
            Locale::En => en,
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
    /// A well-formed province code that is not one of the 34 provinces.
    UnknownProvince,
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
    /// Every code a field error can have, from the variants themselves: the contract's `ProblemField.code`.
    pub fn all_codes() -> Vec<&'static str> {
        use strum::IntoEnumIterator;
        let codes = FieldIssue::iter().flat_map(|issue| match issue {
            FieldIssue::OnboardingCode(_) => ONBOARDING_REFUSALS.iter().map(|refusal| refusal.code).collect(),
            issue => vec![issue.code()],
        });
        sorted_unique(codes)
    }

    fn code(&self) -> &'static str {
        self.describe().code
    }

    pub fn message(&self, locale: Locale) -> String {
        let row = self.describe();
        locale.pick(row.vi, row.en).into_owned()
    }

    /// The one place an issue is described: its code and its message in each language.
    fn describe(&self) -> IssueRow {
        match self {
            FieldIssue::Required => issue("required", "Trường này là bắt buộc.", "This field is required."),
            FieldIssue::UnknownField => {
                issue("unknown_field", "Trường này không được hỗ trợ.", "This field is not supported.")
            }
            FieldIssue::InvalidValue(why) => {
                issue("invalid_value", format!("Giá trị không hợp lệ ({why})."), format!("Invalid value ({why})."))
            }
            FieldIssue::OutOfRange { min, max } => issue(
                "out_of_range",
                format!("Giá trị phải nằm trong khoảng từ {min} đến {max}."),
                format!("The value must be between {min} and {max}."),
            ),
            FieldIssue::TooShort { min } => {
                issue("too_short", format!("Tối thiểu {min} ký tự."), format!("At least {min} characters."))
            }
            FieldIssue::TooLong { max } => {
                issue("too_long", format!("Tối đa {max} ký tự."), format!("At most {max} characters."))
            }
            FieldIssue::UnitCode => issue(
                "invalid_unit_code",
                "Mã đơn vị hành chính gồm 2 chữ số (tỉnh) hoặc 5 chữ số (xã, phường).",
                "An administrative unit code has 2 digits (province) or 5 digits (commune, ward).",
            ),
            FieldIssue::Email => {
                issue("invalid_email", "Địa chỉ email không hợp lệ.", "This is not a valid email address.")
            }
            FieldIssue::Phone => issue(
                "invalid_phone",
                "Số điện thoại di động không hợp lệ (ví dụ 0912 345 678).",
                "Not a valid Vietnamese mobile number (e.g. 0912 345 678).",
            ),
            FieldIssue::Landline => issue(
                "landline_not_accepted",
                "Vui lòng dùng số di động, không dùng số điện thoại cố định.",
                "Use a mobile number; landlines are not accepted.",
            ),
            FieldIssue::CommonPassword => issue(
                "common_password",
                "Mật khẩu này quá phổ biến, dễ bị đoán.",
                "This password is too common and easy to guess.",
            ),
            FieldIssue::PasswordIsIdentity => issue(
                "password_is_identity",
                "Mật khẩu không được trùng với số điện thoại hoặc email.",
                "The password must not be your phone number or email.",
            ),
            FieldIssue::MustBeTrue => {
                issue("must_be_true", "Bạn cần đồng ý để tiếp tục.", "You must agree to continue.")
            }
            FieldIssue::OneOf(allowed) => issue(
                "not_allowed",
                format!("Giá trị phải là một trong: {}.", allowed.join(", ")),
                format!("The value must be one of: {}.", allowed.join(", ")),
            ),
            FieldIssue::EmailOrPhoneRequired => issue(
                "email_or_phone_required",
                "Cần có số điện thoại hoặc email.",
                "A phone number or an email is required.",
            ),
            FieldIssue::WrongPassword => issue("wrong_password", "Mật khẩu không đúng.", "The password is wrong."),
            FieldIssue::UnknownCategory => {
                issue("unknown_category", "Không có lĩnh vực phản ánh này.", "There is no such category.")
            }
            FieldIssue::UnknownMedia => issue(
                "unknown_media",
                "Ảnh không tồn tại, không phải của bạn hoặc đã được dùng.",
                "The photo does not exist, is not yours, or is already used.",
            ),
            FieldIssue::OutsideServiceArea => issue(
                "outside_service_area",
                "Vị trí này không thuộc địa bàn hệ thống đang phục vụ.",
                "This position is outside the area this service covers.",
            ),
            FieldIssue::NullIsland => issue(
                "null_position",
                "Vị trí (0, 0) không hợp lệ: điện thoại chưa lấy được GPS.",
                "Position (0, 0) is not valid: the phone has no GPS fix yet.",
            ),
            FieldIssue::UrgentNotAllowed => issue(
                "urgent_not_allowed",
                "Lĩnh vực này không nhận phản ánh khẩn cấp.",
                "This category does not take urgent reports.",
            ),
            FieldIssue::InTheFuture => {
                issue("in_the_future", "Thời điểm này ở tương lai.", "This time is in the future.")
            }
            FieldIssue::TooMany { max } => {
                issue("too_many", format!("Tối đa {max} mục."), format!("At most {max} items."))
            }
            FieldIssue::UnreadableImage => issue(
                "unreadable_image",
                "Không đọc được ảnh (tệp hỏng hoặc không đầy đủ).",
                "The image cannot be read (damaged or incomplete).",
            ),
            FieldIssue::TooManyPixels { max } => issue(
                "image_too_large",
                format!("Ảnh quá lớn: tối đa {} triệu điểm ảnh.", max / 1_000_000),
                format!("The image is too large: at most {} megapixels.", max / 1_000_000),
            ),
            FieldIssue::TooManyDecodedBytes { max } => issue(
                "too_many_decoded_bytes",
                format!(
                    "Ảnh cần quá nhiều bộ nhớ để giải mã (tối đa {} MiB); hãy gửi ảnh 8 bit hoặc nhỏ hơn.",
                    max >> 20
                ),
                format!(
                    "The image needs too much memory to decode (at most {} MiB); send an 8-bit or smaller image.",
                    max >> 20
                ),
            ),
            FieldIssue::NotAnOfficial => {
                issue("not_an_official", "Người này không phải cán bộ.", "This person is not an official.")
            }
            FieldIssue::NotADepartment => issue(
                "not_a_department",
                "Đây không phải sở, ngành của tỉnh này.",
                "This is not a department of this province.",
            ),
            FieldIssue::OnboardingCode(code) => {
                let refusal = OnboardingRefusal::of(code);
                issue(code, refusal.at_sign_up(Locale::Vi), refusal.at_sign_up(Locale::En))
            }
            FieldIssue::UnknownUser => issue("unknown_user", "Không có tài khoản này.", "There is no such account."),
            FieldIssue::UnknownProvince => issue(
                "unknown_province",
                "Không có tỉnh, thành phố mang mã này.",
                "There is no province with this code.",
            ),
            FieldIssue::ControlCharacter => issue(
                "control_character",
                "Không được chứa ký tự điều khiển (như NUL).",
                "Control characters (such as NUL) are not allowed.",
            ),
        }
    }
}

/// All that the API tells about one field issue.
struct IssueRow {
    code: &'static str,
    vi: Cow<'static, str>,
    en: Cow<'static, str>,
}

fn issue(code: &'static str, vi: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> IssueRow {
    IssueRow { code, vi: vi.into(), en: en.into() }
}

/// Why an onboarding code is refused, said once for the two places that tell it: at sign-up it is
/// the message of the `onboarding_code` field; where a code is looked up, it opens the error's detail.
struct OnboardingRefusal {
    code: &'static str,
    vi: &'static str,
    en: &'static str,
}

const CODE_INVALID: OnboardingRefusal = OnboardingRefusal {
    code: "onboarding_code_invalid",
    vi: "Mã giới thiệu không hợp lệ",
    en: "Not a genuine onboarding code",
};
const CAMPAIGN_ENDED: OnboardingRefusal = OnboardingRefusal {
    code: "onboarding_campaign_ended",
    vi: "Chiến dịch của mã này đã kết thúc",
    en: "This code's campaign has ended",
};
const CAMPAIGN_CLOSED: OnboardingRefusal = OnboardingRefusal {
    code: "onboarding_campaign_closed",
    vi: "Chiến dịch của mã này đã đóng",
    en: "This code's campaign is closed",
};
// Only a sign-up meets the next two: looking a code up lets them pass.
const AGENT_INACTIVE: OnboardingRefusal = OnboardingRefusal {
    code: "onboarding_agent_inactive",
    vi: "Mã của tình nguyện viên này đã ngừng dùng",
    en: "This volunteer's code is no longer in use",
};
const CAMPAIGN_NOT_STARTED: OnboardingRefusal = OnboardingRefusal {
    code: "onboarding_campaign_not_started",
    vi: "Chiến dịch của mã này chưa bắt đầu",
    en: "This code's campaign has not started yet",
};
/// Every refusal `FieldIssue::OnboardingCode` can carry.
static ONBOARDING_REFUSALS: [OnboardingRefusal; 5] =
    [CODE_INVALID, CAMPAIGN_ENDED, CAMPAIGN_CLOSED, AGENT_INACTIVE, CAMPAIGN_NOT_STARTED];

impl OnboardingRefusal {
    /// The refusal of `code`; a code we do not know is told as a code that is not genuine.
    fn of(code: &str) -> &'static OnboardingRefusal {
        ONBOARDING_REFUSALS.iter().find(|refusal| refusal.code == code).unwrap_or(&CODE_INVALID)
    }

    fn at_sign_up(&self, locale: Locale) -> String {
        format!("{}.", locale.pick(self.vi, self.en))
    }

    /// Before sign-up the app can still offer to go on without the code.
    fn before_sign_up(&self, locale: Locale) -> String {
        match locale {
            Locale::Vi => format!("{}; bạn vẫn có thể đăng ký không cần mã.", self.vi),
            Locale::En => format!("{}; you can still sign up without it.", self.en),
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
    #[error("no such device")]
    DeviceNotFound,
    /// The officials' console is for officials and administrators.
    #[error("the console is for officials")]
    ConsoleStaffOnly,
    /// A console request that could have come from another site.
    #[error("cross-site request refused")]
    CrossSiteRequest,
    #[error("malformed multipart body: {0}")]
    MalformedMultipart(String),
    #[error("no such organization")]
    OrganizationNotFound,
    #[error("no such API key")]
    ApiKeyNotFound,
    #[error("the organization exists")]
    OrganizationExists,
    #[error("the time to reopen has passed")]
    ReopenPeriodOver,
    #[error("no such category")]
    CategoryNotFound,
    #[error("the report's deadline was extended already")]
    AlreadyExtended,
    #[error("the report is not in the review queue")]
    NoReviewPending,
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
    #[error("this phone has had its text messages for today; again in {retry_after_secs} s")]
    SmsLimitPhone { retry_after_secs: u64 },
    #[error("the deployment has sent its text messages for today; again in {retry_after_secs} s")]
    SmsLimitDaily { retry_after_secs: u64 },
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
        self.describe().code
    }

    /// The one place an error is described: its code, its status, and its title and detail in each language.
    fn describe(&self) -> ErrorRow {
        match self {
            AppError::Validation(_) => row("validation_failed", StatusCode::UNPROCESSABLE_ENTITY)
                .vi("Dữ liệu không hợp lệ", "Vui lòng kiểm tra các trường được nêu trong `errors`.")
                .en("Invalid input", "Check the fields listed in `errors`."),
            AppError::MalformedJson(why) => row("malformed_json", StatusCode::BAD_REQUEST)
                .vi("JSON không đúng cú pháp", format!("Nội dung gửi lên không phải JSON hợp lệ: {why}"))
                .en("Malformed JSON", format!("The request body is not valid JSON: {why}")),
            AppError::UnsupportedMediaType => row("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .vi("Kiểu nội dung không được hỗ trợ", "Hãy gửi nội dung với Content-Type: application/json.")
                .en("Unsupported content type", "Send the body with Content-Type: application/json."),
            AppError::PayloadTooLarge { limit } => row("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE)
                .vi("Dữ liệu gửi lên quá lớn", format!("Dung lượng tối đa là {limit} byte."))
                .en("Request body too large", format!("The limit is {limit} bytes.")),
            AppError::RouteNotFound => row("route_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy địa chỉ", "Địa chỉ API này không tồn tại.")
                .en("Route not found", "There is no API route at this address."),
            AppError::MethodNotAllowed => row("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED)
                .vi("Phương thức không được phép", "Địa chỉ này không hỗ trợ phương thức HTTP đã dùng.")
                .en("Method not allowed", "This route does not support the HTTP method used."),
            AppError::UnitNotFound(code) => row("unit_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy đơn vị hành chính", format!("Không có đơn vị hành chính mã {code}."))
                .en("Administrative unit not found", format!("There is no administrative unit with code {code}.")),
            AppError::AccountExists => row("account_exists", StatusCode::CONFLICT)
                .vi("Tài khoản đã tồn tại", "Đã có tài khoản dùng thông tin này.")
                .en("Account exists", "An account with these details already exists."),
            AppError::Unauthenticated => row("unauthenticated", StatusCode::UNAUTHORIZED)
                .vi("Chưa đăng nhập", "Vui lòng đăng nhập (thiếu hoặc sai mã truy cập).")
                .en("Not signed in", "Sign in first: the access token is missing or invalid."),
            AppError::TokenExpired => row("token_expired", StatusCode::UNAUTHORIZED)
                .vi("Phiên đăng nhập đã hết hạn", "Mã truy cập đã hết hạn; hãy làm mới phiên đăng nhập.")
                .en("Session expired", "The access token has expired; refresh the session."),
            AppError::Forbidden => row("forbidden", StatusCode::FORBIDDEN)
                .vi("Không có quyền", "Tài khoản của bạn không có quyền thực hiện thao tác này.")
                .en("Forbidden", "Your account may not do this."),
            AppError::InvalidCredentials => row("invalid_credentials", StatusCode::UNAUTHORIZED)
                .vi("Sai thông tin đăng nhập", "Số điện thoại/email hoặc mật khẩu không đúng.")
                .en("Wrong login or password", "The phone number/email or password is wrong."),
            AppError::AccountDisabled => row("account_disabled", StatusCode::FORBIDDEN)
                .vi("Tài khoản đã bị khóa", "Tài khoản này đã bị vô hiệu hóa. Hãy liên hệ quản trị viên.")
                .en("Account disabled", "This account is disabled. Contact an administrator."),
            AppError::LoginLocked { retry_after_secs } => row("too_many_attempts", StatusCode::TOO_MANY_REQUESTS)
                .vi(
                    "Đăng nhập sai quá nhiều lần",
                    format!("Tạm khóa đăng nhập do nhập sai nhiều lần. Thử lại sau {retry_after_secs} giây."),
                )
                .en(
                    "Too many failed log-ins",
                    format!("Log-in is locked after repeated failures. Try again in {retry_after_secs} seconds."),
                ),
            AppError::RateLimited { retry_after_secs } => row("rate_limited", StatusCode::TOO_MANY_REQUESTS)
                .vi("Quá nhiều yêu cầu", format!("Bạn đã gửi quá nhiều yêu cầu. Thử lại sau {retry_after_secs} giây."))
                .en("Too many requests", format!("Too many requests. Try again in {retry_after_secs} seconds.")),
            AppError::InvalidRefreshToken => row("invalid_refresh_token", StatusCode::UNAUTHORIZED)
                .vi("Phiên đăng nhập không hợp lệ", "Phiên đăng nhập không hợp lệ hoặc đã hết hạn; hãy đăng nhập lại.")
                .en("Invalid session", "The refresh token is invalid or expired; sign in again."),
            AppError::RefreshTokenReused => row("refresh_token_reused", StatusCode::UNAUTHORIZED)
                .vi(
                    "Phiên đăng nhập đã bị thu hồi",
                    "Mã làm mới đã được dùng trước đó; để an toàn, phiên này đã bị thu hồi. Hãy đăng nhập lại.",
                )
                .en(
                    "Session revoked",
                    "This refresh token was already used; for safety its session is revoked. Sign in again.",
                ),
            AppError::InvalidToken => row("invalid_token", StatusCode::BAD_REQUEST)
                .vi("Mã xác nhận không hợp lệ", "Mã xác nhận không đúng, đã dùng hoặc đã hết hạn.")
                .en("Invalid or expired token", "The token is wrong, already used or expired."),
            AppError::UserNotFound => row("user_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy người dùng", "Không có người dùng này.")
                .en("User not found", "There is no such user."),
            AppError::CannotChangeSelf => row("cannot_change_self", StatusCode::CONFLICT)
                .vi("Không thể tự thay đổi", "Quản trị viên không thể tự hạ quyền hoặc tự khóa tài khoản của mình.")
                .en("Cannot change yourself", "Administrators cannot demote or deactivate themselves."),
            AppError::IdempotencyKeyRequired => row("idempotency_key_required", StatusCode::BAD_REQUEST)
                .vi(
                    "Thiếu khóa chống gửi trùng",
                    "Hãy gửi tiêu đề Idempotency-Key (8–128 ký tự) để gửi lại an toàn khi mạng chập chờn.",
                )
                .en(
                    "Idempotency-Key required",
                    "Send an Idempotency-Key header (8–128 characters) so retries over a weak network are safe.",
                ),
            AppError::IdempotencyKeyReused => row("idempotency_key_reused", StatusCode::CONFLICT)
                .vi("Khóa chống gửi trùng đã dùng", "Khóa này đã được dùng cho một phản ánh có nội dung khác.")
                .en("Idempotency-Key reused", "This key was already used for a report with other content."),
            AppError::ReportNotFound => row("report_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy phản ánh", "Không có phản ánh này, hoặc bạn không được xem.")
                .en("Report not found", "There is no such report, or you may not see it."),
            AppError::InvalidTransition(status) => row("invalid_transition", StatusCode::CONFLICT)
                .vi("Không thể thực hiện ở trạng thái này", format!("Phản ánh đang ở trạng thái {status}."))
                .en("Not allowed in this status", format!("The report is {status}.")),
            AppError::OwnReport => row("own_report", StatusCode::CONFLICT)
                .vi("Không thể ủng hộ phản ánh của chính mình", "Bạn không thể ủng hộ phản ánh do chính mình gửi.")
                .en("Cannot support your own report", "You cannot support a report you filed."),
            AppError::UnsupportedImage => row("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .vi("Định dạng ảnh không được hỗ trợ", "Chỉ nhận ảnh JPEG, PNG hoặc WebP (xét theo nội dung tệp).")
                .en(
                    "Unsupported image format",
                    "Only JPEG, PNG or WebP images are accepted (judged by the file's content).",
                ),
            AppError::MediaNotFound => row("media_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy ảnh", "Không có ảnh này, hoặc bạn không được xem.")
                .en("Photo not found", "There is no such photo, or you may not see it."),
            AppError::NotificationNotFound => row("notification_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy thông báo", "Bạn không có thông báo này.")
                .en("Notification not found", "You have no such notification."),
            AppError::DeviceNotFound => row("device_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy thiết bị", "Tài khoản của bạn không có thiết bị này.")
                .en("Device not found", "Your account has no such device."),
            AppError::ConsoleStaffOnly => row("console_staff_only", StatusCode::FORBIDDEN)
                .vi(
                    "Chỉ dành cho cán bộ",
                    "Trang quản trị dành cho cán bộ và quản trị viên. Người dân vui lòng dùng ứng dụng Công dân số.",
                )
                .en("Officials only", "The console is for officials and administrators; citizens use the app."),
            AppError::CrossSiteRequest => row("cross_site_request", StatusCode::FORBIDDEN)
                .vi("Yêu cầu bị từ chối", "Yêu cầu không đến từ trang quản trị nên bị từ chối.")
                .en("Request refused", "The request did not come from the console's own page."),
            AppError::MalformedMultipart(why) => row("malformed_multipart", StatusCode::BAD_REQUEST)
                .vi(
                    "Dữ liệu tải lên không đúng định dạng",
                    format!("Hãy gửi multipart/form-data với một tệp ở trường `file` ({why})."),
                )
                .en("Malformed upload", format!("Send multipart/form-data with one file in the field `file` ({why}).")),
            AppError::OrganizationNotFound => row("organization_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy cơ quan", "Không có cơ quan này.")
                .en("Organization not found", "There is no such organization."),
            AppError::ApiKeyNotFound => row("api_key_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy khóa API", "Không có khóa API này.")
                .en("API key not found", "There is no such API key."),
            AppError::OrganizationExists => row("organization_exists", StatusCode::CONFLICT)
                .vi("Cơ quan đã tồn tại", "Xã, phường này đã có trụ sở UBND, hoặc tỉnh đã có IOC.")
                .en("Organization exists", "This commune already has its office, or the province its IOC."),
            AppError::ReopenPeriodOver => row("reopen_period_over", StatusCode::CONFLICT)
                .vi("Đã quá hạn mở lại", "Chỉ mở lại được trong 7 ngày làm việc sau khi xử lý xong; hãy gửi phản ánh mới.")
                .en("Too late to reopen", "A report can be reopened for 7 working days after it was resolved; file a new one."),
            AppError::CategoryNotFound => row("category_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy lĩnh vực", "Không có lĩnh vực phản ánh với mã này.")
                .en("Category not found", "There is no report category with this code."),
            AppError::AlreadyExtended => row("already_extended", StatusCode::CONFLICT)
                .vi("Đã gia hạn", "Mỗi phản ánh chỉ được gia hạn xử lý một lần.")
                .en("Already extended", "A report's deadline can be extended only once."),
            AppError::NoReviewPending => row("no_review_pending", StatusCode::CONFLICT)
                .vi("Không chờ xem xét", "Phản ánh này không nằm trong danh sách xem xét của IOC.")
                .en("No review pending", "This report is not in the IOC's review queue."),
            AppError::CampaignNotFound => row("campaign_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy chiến dịch", "Không có chiến dịch này, hoặc bạn không được xem.")
                .en("Campaign not found", "There is no such campaign, or you may not see it."),
            AppError::AgentNotFound => row("agent_not_found", StatusCode::NOT_FOUND)
                .vi("Không tìm thấy tình nguyện viên", "Không có tình nguyện viên này trong chiến dịch.")
                .en("Agent not found", "There is no such agent in the campaign."),
            AppError::CampaignClosed => row("campaign_closed", StatusCode::CONFLICT)
                .vi("Chiến dịch đã đóng", "Chiến dịch đã đóng, không thể thay đổi.")
                .en("Campaign closed", "The campaign is closed and can no longer change."),
            AppError::OnboardingCodeInvalid => row(CODE_INVALID.code, StatusCode::NOT_FOUND)
                .vi(
                    "Mã giới thiệu không hợp lệ",
                    "Mã QR không phải do chương trình cấp. Hãy quét lại mã của tình nguyện viên.",
                )
                .en(
                    "Invalid onboarding code",
                    "This QR code was not issued by the programme. Scan the volunteer's code again.",
                ),
            AppError::OnboardingCampaignEnded => row(CAMPAIGN_ENDED.code, StatusCode::GONE)
                .vi("Chiến dịch đã kết thúc", CAMPAIGN_ENDED.before_sign_up(Locale::Vi))
                .en("Campaign ended", CAMPAIGN_ENDED.before_sign_up(Locale::En)),
            AppError::OnboardingCampaignClosed => row(CAMPAIGN_CLOSED.code, StatusCode::GONE)
                .vi("Chiến dịch đã đóng", CAMPAIGN_CLOSED.before_sign_up(Locale::Vi))
                .en("Campaign closed", CAMPAIGN_CLOSED.before_sign_up(Locale::En)),
            AppError::AlreadyCredited => row("already_credited", StatusCode::CONFLICT)
                .vi(
                    "Tài khoản đã được ghi nhận",
                    "Tài khoản đã được ghi nhận cho một chiến dịch; mã sau không thay đổi điều đó.",
                )
                .en(
                    "Already credited",
                    "The account is already credited to a campaign; a later code does not move it.",
                ),
            AppError::OutsideServiceArea => row("outside_service_area", StatusCode::UNPROCESSABLE_ENTITY)
                .vi("Vị trí ngoài phạm vi phục vụ", "Vị trí này không thuộc địa bàn mà hệ thống đang phục vụ.")
                .en("Position outside the service area", "This position is outside the area this service covers."),
            AppError::SmsUnavailable => row("sms_unavailable", StatusCode::SERVICE_UNAVAILABLE)
                .vi(
                    "Chưa gửi được tin nhắn SMS",
                    "Hệ thống chưa có cổng gửi SMS nên không gửi được mã kích hoạt. Hãy hướng dẫn người dân tự đăng ký.",
                )
                .en(
                    "Text messages cannot be sent",
                    "No SMS gateway is configured, so no activation code can be sent. Help the person sign up themselves.",
                ),
            AppError::SmsLimitPhone { .. } => row("sms_limit_phone", StatusCode::TOO_MANY_REQUESTS)
                .vi(
                    "Số điện thoại đã nhận đủ tin nhắn hôm nay",
                    "Số điện thoại này đã nhận số tin nhắn SMS tối đa trong ngày. Hãy thử lại vào ngày mai (giờ Việt Nam).",
                )
                .en(
                    "This phone has had enough text messages today",
                    "This phone has received today's most text messages. Try again tomorrow (Vietnam time).",
                ),
            AppError::SmsLimitDaily { .. } => row("sms_limit_daily", StatusCode::SERVICE_UNAVAILABLE)
                .vi(
                    "Đã hết lượt gửi tin nhắn SMS hôm nay",
                    "Hệ thống đã gửi số tin nhắn SMS tối đa trong ngày. Hãy thử lại vào ngày mai hoặc hướng dẫn người dân tự đăng ký.",
                )
                .en(
                    "Today's text messages are used up",
                    "The service has sent today's most text messages. Try again tomorrow, or help the person sign up themselves.",
                ),
            AppError::DatabaseUnavailable(_) => row("database_unavailable", StatusCode::SERVICE_UNAVAILABLE)
                .vi("Hệ thống tạm thời gián đoạn", "Cơ sở dữ liệu không phản hồi. Vui lòng thử lại sau.")
                .en("Service temporarily unavailable", "The database is not responding. Please try again later."),
            AppError::Internal(_) => row("internal_error", StatusCode::INTERNAL_SERVER_ERROR)
                .vi("Lỗi hệ thống", "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau.")
                .en("Internal error", "Something unexpected went wrong. Please try again later."),
            AppError::Http(status) => {
                let code = if status.is_client_error() { "bad_request" } else { "internal_error" };
                row(code, *status)
                    .vi("Yêu cầu không thể xử lý", format!("Máy chủ trả lời HTTP {}.", status.as_u16()))
                    .en("The request cannot be handled", status.canonical_reason().unwrap_or("Error"))
            }
        }
    }

    /// Renders the problem document in `locale`; the single place an error becomes HTTP.
    pub fn to_problem(&self, locale: Locale) -> HttpResponse {
        if matches!(self, AppError::Internal(_) | AppError::DatabaseUnavailable(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let row = self.describe();
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
        let wording = locale.pick(row.vi, row.en);
        let problem = Problem {
            r#type: format!("urn:congdanso:problem:{}", row.code),
            title: wording.title.to_string(),
            status: row.status.as_u16(),
            detail: wording.detail.into_owned(),
            code: row.code.to_string(),
            errors,
        };
        let mut response = HttpResponse::build(row.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CONTENT_LANGUAGE, if locale == Locale::En { "en" } else { "vi" }));
        match self {
            AppError::DatabaseUnavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            AppError::LoginLocked { retry_after_secs }
            | AppError::RateLimited { retry_after_secs }
            | AppError::SmsLimitPhone { retry_after_secs }
            | AppError::SmsLimitDaily { retry_after_secs } => {
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

/// All that the API tells about one error: built by `row(code, status).vi(..).en(..)`.
struct ErrorRow {
    code: &'static str,
    status: StatusCode,
    vi: Wording,
    en: Wording,
}

/// An error's title and detail in one language.
#[derive(Default)]
struct Wording {
    title: &'static str,
    detail: Cow<'static, str>,
}

fn row(code: &'static str, status: StatusCode) -> ErrorRow {
    ErrorRow { code, status, vi: Wording::default(), en: Wording::default() }
}

impl ErrorRow {
    fn vi(self, title: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        ErrorRow { vi: Wording { title, detail: detail.into() }, ..self }
    }

    fn en(self, title: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        ErrorRow { en: Wording { title, detail: detail.into() }, ..self }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.describe().status
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
    // Open311's errors have the shape its specification gives them, written by its handlers.
    let open311 = req.path().starts_with("/open311/");
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
    if (status.is_client_error() || status.is_server_error()) && !is_problem && !open311 {
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
        for code in [AGENT_INACTIVE.code, CAMPAIGN_NOT_STARTED.code] {
            assert_ne!(FieldIssue::OnboardingCode(code).message(Locale::En), fallback, "{code}");
        }
    }

    #[test]
    fn every_error_is_told_in_both_languages() {
        use strum::IntoEnumIterator;
        for error in AppError::iter() {
            let row = error.describe();
            for wording in [row.vi, row.en] {
                assert!(!wording.title.is_empty() && !wording.detail.is_empty(), "{error:?}");
            }
        }
        for issue in FieldIssue::iter().chain(ONBOARDING_REFUSALS.iter().map(|r| FieldIssue::OnboardingCode(r.code))) {
            let row = issue.describe();
            assert!(!row.vi.is_empty() && !row.en.is_empty(), "{issue:?}");
        }
    }

    #[test]
    fn no_two_errors_share_a_code_by_mistake() {
        use strum::IntoEnumIterator;
        // Both mean "send another kind of content"; `Http` shares `internal_error` and `bad_request` on purpose.
        let shared_on_purpose = ["unsupported_media_type"];
        let codes: Vec<_> = AppError::iter().filter(|e| !matches!(e, AppError::Http(_))).map(|e| e.code()).collect();
        for code in &codes {
            let uses = codes.iter().filter(|other| *other == code).count();
            assert!(uses == 1 || shared_on_purpose.contains(code), "{code} is used {uses} times");
        }
        // One code per issue, `OnboardingCode` aside, which has one per refusal.
        let issues = FieldIssue::iter().count() - 1;
        assert_eq!(FieldIssue::all_codes().len(), issues + ONBOARDING_REFUSALS.len());
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

    /// `raw` if it is one of `names`; otherwise `None`, with a `one_of` error of `field` kept.
    pub fn one_of(&mut self, raw: Option<String>, names: &'static [&'static str], field: &str) -> Option<String> {
        let raw = raw?;
        if names.contains(&raw.as_str()) {
            Some(raw)
        } else {
            self.add(field, FieldIssue::OneOf(names));
            None
        }
    }

    pub fn finish(self) -> Result<(), AppError> {
        match (self.other, self.fields.is_empty()) {
            (Some(other), _) => Err(other),
            (None, false) => Err(AppError::Validation(self.fields)),
            (None, true) => Ok(()),
        }
    }
}
