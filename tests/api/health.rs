use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(live_and_ready_answer);

async fn live_and_ready_answer(app: TestApp) {
    assert_eq!(app.get_json("/health/live").await["status"], "ok");
    let ready = app.get_json("/health/ready").await;
    assert_eq!(ready["status"], "ready");
    let expected = match app.db.backend {
        crate::common::Backend::Sqlite => "sqlite",
        crate::common::Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], expected);
}
