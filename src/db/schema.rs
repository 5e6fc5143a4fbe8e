//! Diesel's view of the tables; written by hand to match both `migrations/` folders
//! (a test proves the two backends agree).

diesel::table! {
    admin_units (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        level -> Integer,
        kind -> Text,
        name -> Text,
        search_name -> Text,
        lat -> Double,
        lon -> Double,
        area_km2 -> Nullable<Double>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        successor_code -> Nullable<Text>,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        handler_kind -> Text,
        sla_hours -> Integer,
        urgent_allowed -> Bool,
        sort_order -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Text,
        full_name -> Text,
        role -> Text,
        locale -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(admin_units, categories, users);
