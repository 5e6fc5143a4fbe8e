// The officials' console: a page that calls /api/v1 like any client. The access token lives in this
// closure only; the refresh token is an HttpOnly cookie the page never sees (see src/console/session.rs).
// Every text from the server is put in the page as text (textContent), never as markup.
"use strict";

(() => {
  const STATUS = {
    submitted: "Mới gửi",
    accepted: "Đã tiếp nhận",
    in_progress: "Đang xử lý",
    waiting_for_citizen: "Chờ người dân bổ sung",
    resolved: "Đã xử lý",
    closed: "Đã kết thúc",
    rejected: "Không tiếp nhận",
    withdrawn: "Người dân đã rút",
  };
  const EVENT = {
    submitted: "Gửi phản ánh", accepted: "Tiếp nhận", assigned: "Phân công", started: "Bắt đầu xử lý",
    resolved: "Đã xử lý", rejected: "Không tiếp nhận", transferred: "Chuyển đơn vị", comment: "Trao đổi",
    message: "Nhắn người dân", question: "Hỏi người dân", answered: "Người dân trả lời", extended: "Gia hạn",
    escalated: "Chuyển lên IOC", closed: "Kết thúc", reopened: "Mở lại", withdrawn: "Rút phản ánh",
    photos_added: "Thêm ảnh", rated: "Đánh giá", review_requested: "Cần IOC xem xét", reviewed: "IOC đã xem xét",
  };
  const REJECT = {
    duplicate: "Trùng phản ánh đã có", out_of_scope: "Không thuộc thẩm quyền", spam: "Không phải phản ánh",
    insufficient_info: "Chưa đủ thông tin",
  };
  const STAFF = ["official", "admin"];

  const session = { token: null, user: null, refreshing: null };
  let config = { map_tiles: "", map_attribution: "" };
  let categories = [];
  const main = document.getElementById("main");
  const live = document.getElementById("live");

  // ---- the page's building blocks --------------------------------------------------------------

  /** An element with attributes (`on…` are listeners) and children (strings become text). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function show(title, ...content) {
    document.title = `${title} — Công dân số`;
    main.replaceChildren(h("h1", {}, title), ...content);
    main.focus();
  }

  function announce(text) {
    live.textContent = "";
    setTimeout(() => { live.textContent = text; }, 50);
  }

  const localTime = (iso) =>
    iso ? new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", dateStyle: "short", timeStyle: "short" }) : "";

  function workingTimeLeft(minutes) {
    const abs = Math.abs(minutes);
    const text = abs >= 60 ? `${Math.floor(abs / 60)} giờ ${abs % 60} phút` : `${abs} phút`;
    return minutes < 0 ? `Quá hạn ${text}` : `Còn ${text}`;
  }

  // ---- talking to the server -------------------------------------------------------------------

  class Problem extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `Lỗi ${status}`);
      this.status = status;
      this.code = body && body.code;
      this.fields = (body && body.errors) || [];
    }
    /** The server's words, with each field's own. */
    get words() {
      const fields = this.fields.map((f) => `${f.field}: ${f.message || f.code}`);
      return [this.message, ...fields].join(" — ");
    }
  }

  async function consoleSession(method, path, body) {
    const response = await fetch(`/console/session${path}`, {
      method,
      credentials: "same-origin",
      headers: { "X-Console": "1", "Content-Type": "application/json", "Accept-Language": "vi" },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status === 204) return null;
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Problem(response.status, answer);
    session.token = answer.access_token;
    session.user = answer.user;
    return answer;
  }

  /** One refresh at a time, however many requests found their token expired. */
  function refreshSession() {
    if (!session.refreshing) {
      session.refreshing = consoleSession("POST", "/refresh").finally(() => { session.refreshing = null; });
    }
    return session.refreshing;
  }

  async function api(path, { method = "GET", json, form, raw } = {}) {
    const send = () => {
      const headers = { Authorization: `Bearer ${session.token}`, "Accept-Language": "vi" };
      let body;
      if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
      if (form) body = form;
      return fetch(path, { method, headers, body, credentials: "omit" });
    };
    let response = await send();
    if (response.status === 401 && session.token) {
      try { await refreshSession(); } catch (e) { loggedOut(); throw e; }
      response = await send();
    }
    if (raw && response.ok) return response;
    if (response.status === 204) return null;
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Problem(response.status, answer);
    return answer;
  }

  function loggedOut() {
    session.token = null;
    session.user = null;
    document.getElementById("top").hidden = true;
    if (!location.hash.startsWith("#/login")) location.hash = "#/login";
  }

  // ---- log-in ----------------------------------------------------------------------------------

  function loginView(message) {
    const error = h("p", { class: "error", role: "alert", id: "login-error" }, message || "");
    const login = h("input", { type: "text", id: "login", name: "login", autocomplete: "username", required: true });
    const password = h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
    const submit = h("button", { type: "submit", class: "primary" }, "Đăng nhập");
    const form = h("form", { class: "card login", "aria-describedby": "login-error", novalidate: true },
      h("p", {}, "Dành cho cán bộ xã, phường, sở ngành, Trung tâm IOC và quản trị viên."),
      h("label", { for: "login" }, "Số điện thoại hoặc email"), login,
      h("label", { for: "password" }, "Mật khẩu"), password,
      error, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = "";
      try {
        await consoleSession("POST", "", { login: login.value.trim(), password: password.value });
        location.hash = "#/inbox";
      } catch (problem) {
        error.textContent = problem.words || String(problem);
        password.value = "";
        password.focus();
      } finally {
        submit.disabled = false;
      }
    });
    document.getElementById("top").hidden = true;
    show("Đăng nhập trang cán bộ", form);
    login.focus();
  }

  // ---- the inbox -------------------------------------------------------------------------------

  const FILTERS = ["status", "category", "assignee", "overdue", "urgent", "q", "from", "to", "view"];

  function inboxQuery(params) {
    const query = new URLSearchParams();
    for (const name of FILTERS) if (params.get(name) && name !== "view") query.set(name, params.get(name));
    if (params.get("cursor")) query.set("cursor", params.get("cursor"));
    query.set("limit", params.get("view") === "map" ? "100" : "25");
    return query;
  }

  function go(params) {
    location.hash = `#/inbox?${params.toString()}`;
  }

  async function inboxView(params) {
    if (!categories.length) categories = await api("/api/v1/categories").then((c) => c.items).catch(() => []);
    const inbox = await api(`/api/v1/admin/reports?${inboxQuery(params)}`);
    // The map shows up to 500 of the list at once: five pages.
    for (let page = 1; params.get("view") === "map" && inbox.next_cursor && page < 5; page++) {
      const query = inboxQuery(params);
      query.set("cursor", inbox.next_cursor);
      const more = await api(`/api/v1/admin/reports?${query}`);
      inbox.items.push(...more.items);
      inbox.next_cursor = more.next_cursor;
    }
    const current = params.get("status") || "";
    const counts = inbox.counts || {};
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const tab = (status, label, count) => h("button", {
      role: "tab", type: "button", "aria-selected": String(current === status), id: `tab-${status || "all"}`,
      tabindex: current === status ? "0" : "-1",
      onclick: () => { const next = new URLSearchParams(params); next.delete("cursor"); status ? next.set("status", status) : next.delete("status"); go(next); },
    }, label, h("span", { class: "count" }, count));
    const tabs = h("div", { role: "tablist", class: "tabs", "aria-label": "Trạng thái" },
      tab("", "Tất cả", total),
      Object.keys(STATUS).map((status) => tab(status, STATUS[status], counts[status] || 0)));
    tabs.addEventListener("keydown", (event) => {
      const all = [...tabs.querySelectorAll("[role=tab]")];
      const at = all.indexOf(document.activeElement);
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (at >= 0 && step) { event.preventDefault(); all[(at + step + all.length) % all.length].focus(); }
    });

    const field = (name, label, input) => h("div", {}, h("label", { for: `f-${name}` }, label), input);
    const category = h("select", { id: "f-category", name: "category" }, h("option", { value: "" }, "Tất cả lĩnh vực"),
      categories.map((c) => h("option", { value: c.code, selected: params.get("category") === c.code }, c.name_vi)));
    const assignee = h("select", { id: "f-assignee", name: "assignee" },
      h("option", { value: "" }, "Mọi người"),
      h("option", { value: "me", selected: params.get("assignee") === "me" }, "Giao cho tôi"),
      h("option", { value: "none", selected: params.get("assignee") === "none" }, "Chưa giao"));
    const text = h("input", { type: "search", id: "f-q", name: "q", value: params.get("q") || "" });
    const from = h("input", { type: "date", id: "f-from", name: "from", value: params.get("from") || "" });
    const to = h("input", { type: "date", id: "f-to", name: "to", value: params.get("to") || "" });
    const check = (name, label) => h("label", { class: "check" },
      h("input", { type: "checkbox", id: `f-${name}`, name, checked: params.get(name) === "true" }), label);
    const filters = h("form", { class: "filters", role: "search", "aria-label": "Lọc phản ánh" },
      field("q", "Tìm trong nội dung", text), field("category", "Lĩnh vực", category),
      field("assignee", "Người xử lý", assignee), field("from", "Từ ngày", from), field("to", "Đến ngày", to),
      check("overdue", "Quá hạn"), check("urgent", "Khẩn cấp"),
      h("button", { type: "submit", class: "primary" }, "Lọc"));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      if (current) next.set("status", current);
      for (const [name, value] of new FormData(filters)) if (value) next.set(name, value === "on" ? "true" : value);
      if (params.get("view")) next.set("view", params.get("view"));
      go(next);
    });

    const asMap = params.get("view") === "map";
    const switchTo = (view) => { const next = new URLSearchParams(params); next.delete("cursor"); view ? next.set("view", view) : next.delete("view"); go(next); };
    const views = h("div", { class: "view-switch" },
      h("button", { type: "button", class: "secondary", "aria-pressed": String(!asMap), onclick: () => switchTo("") }, "Danh sách"),
      h("button", { type: "button", class: "secondary", "aria-pressed": String(asMap), onclick: () => switchTo("map") }, "Bản đồ"));

    const body = asMap ? inboxMap(inbox.items) : inboxTable(inbox.items, params, inbox.next_cursor);
    show("Hộp thư phản ánh", tabs, filters, views, body);
    announce(`${inbox.items.length} phản ánh`);
  }

  function inboxTable(items, params, nextCursor) {
    if (!items.length) return h("p", {}, "Không có phản ánh nào.");
    const now = Date.now();
    const rows = items.map((report) => {
      const overdue = report.due_at && new Date(report.due_at).getTime() < now;
      const categoryName = (categories.find((c) => c.code === report.category) || {}).name_vi || report.category;
      return h("tr", {},
        h("td", {}, h("a", { href: `#/reports/${report.id}` }, report.description.slice(0, 90) || "(không có mô tả)")),
        h("td", {}, categoryName),
        h("td", {}, STATUS[report.status] || report.status),
        h("td", {}, localTime(report.received_at)),
        h("td", {}, report.due_at ? localTime(report.due_at) : "—",
          overdue ? [" ", h("span", { class: "badge overdue" }, "Quá hạn")] : null),
        h("td", {}, report.urgent ? h("span", { class: "badge urgent" }, "Khẩn cấp") : ""));
    });
    const table = h("table", { class: "reports" },
      h("caption", { class: "visually-hidden" }, "Phản ánh, mới nhất trước"),
      h("thead", {}, h("tr", {}, ["Nội dung", "Lĩnh vực", "Trạng thái", "Nhận lúc", "Hạn xử lý", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows));
    const pager = h("nav", { class: "pager", "aria-label": "Trang" },
      params.get("cursor") ? h("button", { type: "button", class: "secondary", onclick: () => history.back() }, "← Trang trước") : null,
      nextCursor ? h("button", { type: "button", class: "secondary", id: "next-page",
        onclick: () => { const next = new URLSearchParams(params); next.set("cursor", nextCursor); go(next); } }, "Trang sau →") : null);
    return h("div", {}, table, pager);
  }

  function newMap(element, center, zoom) {
    const map = L.map(element, { keyboard: true }).setView(center, zoom);
    if (config.map_tiles) L.tileLayer(config.map_tiles, { maxZoom: 19, attribution: config.map_attribution }).addTo(map);
    return map;
  }

  function inboxMap(items) {
    const element = h("div", { class: "map", id: "inbox-map", role: "region", "aria-label": "Bản đồ phản ánh" });
    const list = h("ul", { class: "visually-hidden" }, items.map((r) => h("li", {}, h("a", { href: `#/reports/${r.id}` }, r.description.slice(0, 90)))));
    setTimeout(() => {
      const map = newMap(element, [16, 107], 6);
      const markers = items.map((report) => {
        const link = h("a", { href: `#/reports/${report.id}` }, report.description.slice(0, 80));
        return L.marker([report.position.lat, report.position.lon], { title: report.description.slice(0, 80), alt: STATUS[report.status] })
          .bindPopup(h("div", {}, link, h("br"), STATUS[report.status] || report.status));
      });
      markers.forEach((m) => m.addTo(map));
      if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 16 });
    });
    return h("div", {}, element, list);
  }

  // ---- one report ------------------------------------------------------------------------------

  async function photo(media, full) {
    const response = await api(full ? media.url.replace(/^https?:\/\/[^/]+/, "") : media.thumbnail_url.replace(/^https?:\/\/[^/]+/, ""), { raw: true });
    return URL.createObjectURL(await response.blob());
  }

  function photoList(medias, label) {
    if (!medias.length) return null;
    const items = medias.map((media, i) => {
      const img = h("img", { alt: `${label} ${i + 1}` });
      photo(media, false).then((url) => { img.src = url; }).catch(() => { img.alt = "Không tải được ảnh"; });
      const button = h("button", { type: "button", "aria-label": `Xem ${label.toLowerCase()} ${i + 1} cỡ lớn`,
        onclick: async () => {
          const full = h("img", { alt: `${label} ${i + 1}` });
          const dialog = h("dialog", { class: "viewer", "aria-label": label }, full,
            h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", onclick: () => dialog.close() }, "Đóng")));
          dialog.addEventListener("close", () => dialog.remove());
          document.body.append(dialog);
          dialog.showModal();
          full.src = await photo(media, true);
        } }, img);
      return h("li", {}, button);
    });
    return h("ul", { class: "photos" }, items);
  }

  /** The actions the report's status allows, as the API's lifecycle has them. */
  function allowedActions(report) {
    const s = report.status;
    const open = ["submitted", "accepted", "in_progress", "waiting_for_citizen"];
    const actions = [];
    if (s === "submitted") actions.push("accept");
    if (open.includes(s) && report.assignee_id !== session.user.id) actions.push("assign");
    if (s === "accepted") actions.push("start");
    if (s === "accepted" || s === "in_progress") actions.push("resolve");
    if (["submitted", "accepted", "waiting_for_citizen"].includes(s)) actions.push("reject");
    if (s !== "withdrawn") actions.push("comment", "note");
    return actions;
  }

  const ACTION = {
    accept: { label: "Tiếp nhận", confirm: "Tiếp nhận phản ánh này? Thời hạn xử lý bắt đầu được tính." },
    assign: { label: "Nhận xử lý", confirm: "Giao phản ánh này cho bạn?" },
    start: { label: "Bắt đầu xử lý", confirm: "Bắt đầu xử lý phản ánh này?" },
    resolve: { label: "Báo đã xử lý", confirm: "Báo kết quả xử lý cho người dân?", note: "Kết quả xử lý (người dân sẽ đọc)", photos: true },
    reject: { label: "Không tiếp nhận", confirm: "Không tiếp nhận phản ánh này?", reason: true, note: "Giải thích cho người dân" },
    comment: { label: "Trả lời công khai", confirm: "Gửi trả lời công khai?", note: "Nội dung trả lời", public: true },
    note: { label: "Ghi chú nội bộ", confirm: "Lưu ghi chú nội bộ (người dân không thấy)?", note: "Ghi chú" },
  };

  function actionDialog(report, name) {
    const spec = ACTION[name];
    const error = h("p", { class: "error", role: "alert" });
    const note = spec.note ? h("textarea", { id: "dialog-note", required: name !== "reject" }) : null;
    const reason = spec.reason ? h("select", { id: "dialog-reason" }, Object.entries(REJECT).map(([v, t]) => h("option", { value: v }, t))) : null;
    const photos = spec.photos ? h("input", { type: "file", id: "dialog-photos", accept: "image/jpeg,image/png,image/webp", multiple: true }) : null;
    const confirm = h("button", { type: "submit", class: "primary", id: "dialog-confirm" }, "Xác nhận");
    const form = h("form", { method: "dialog" },
      h("h2", { id: "dialog-title" }, spec.label),
      h("p", {}, spec.confirm),
      reason ? [h("label", { for: "dialog-reason" }, "Lý do"), reason] : null,
      note ? [h("label", { for: "dialog-note" }, spec.note), note] : null,
      photos ? [h("label", { for: "dialog-photos" }, "Ảnh kết quả (tối đa 5)"), photos] : null,
      error,
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Huỷ"), confirm));
    const dialog = h("dialog", { "aria-labelledby": "dialog-title" }, form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      confirm.disabled = true;
      error.textContent = "";
      try {
        const body = { action: name === "note" ? "comment" : name };
        if (name === "comment") body.public = true;
        if (name === "assign") body.assignee_id = session.user.id;
        if (note && note.value.trim()) body.note = note.value.trim();
        if (reason) body.reason = reason.value;
        if (photos && photos.files.length) {
          body.media_ids = [];
          for (const file of [...photos.files].slice(0, 5)) {
            const upload = new FormData();
            upload.append("file", file);
            body.media_ids.push((await api("/api/v1/media", { method: "POST", form: upload })).id);
          }
        }
        await api(`/api/v1/admin/reports/${report.id}/actions`, { method: "POST", json: body });
        dialog.close();
        announce(`${spec.label}: đã lưu`);
        route();
      } catch (problem) {
        error.textContent = problem.words || String(problem);
      } finally {
        confirm.disabled = false;
      }
    });
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    (reason || note || confirm).focus();
  }

  async function reportView(id) {
    const report = await api(`/api/v1/admin/reports/${encodeURIComponent(id)}`);
    const categoryName = (categories.find((c) => c.code === report.category) || {}).name_vi || report.category;
    const deadline = report.deadline;
    const contact = report.reporter_contact;
    const details = h("dl", {},
      h("dt", {}, "Trạng thái"), h("dd", { id: "report-status" }, STATUS[report.status] || report.status),
      h("dt", {}, "Lĩnh vực"), h("dd", {}, categoryName, report.urgent ? [" ", h("span", { class: "badge urgent" }, "Khẩn cấp")] : null),
      h("dt", {}, "Đơn vị xử lý"), h("dd", {}, report.organization_name || ""),
      h("dt", {}, "Địa chỉ"), h("dd", {}, report.address_text || `${report.position.lat.toFixed(5)}, ${report.position.lon.toFixed(5)}`),
      h("dt", {}, "Nhận lúc"), h("dd", {}, localTime(report.received_at)),
      deadline ? [h("dt", {}, "Hạn xử lý"), h("dd", { id: "report-deadline" }, `${localTime(deadline.due_at)} — ${workingTimeLeft(deadline.minutes_left)}`,
        { working_hours: " (tính theo giờ làm việc)", working_days: " (tính theo ngày làm việc)" }[deadline.counted_in] || "")] : null,
      h("dt", {}, "Người phản ánh"), h("dd", {}, contact
        ? [contact.full_name || "", contact.phone ? ` · ${contact.phone}` : "", contact.email ? ` · ${contact.email}` : ""]
        : report.is_anonymous ? "Ẩn danh" : "—"));
    const mapElement = h("div", { class: "map small", id: "report-map", role: "region", "aria-label": "Vị trí phản ánh" });
    setTimeout(() => {
      const map = newMap(mapElement, [report.position.lat, report.position.lon], 16);
      L.marker([report.position.lat, report.position.lon], { title: "Vị trí phản ánh" }).addTo(map);
    });
    const timeline = h("ol", { class: "timeline", id: "timeline" }, report.timeline.slice().reverse().map((event) =>
      h("li", { class: event.is_public ? "" : "internal" },
        h("strong", {}, EVENT[event.kind] || event.kind), event.is_public ? "" : " (nội bộ)", " · ",
        h("time", { datetime: event.at }, localTime(event.at)),
        event.note ? h("p", {}, event.note) : null)));
    const actions = h("div", { class: "actions", role: "group", "aria-label": "Xử lý" },
      allowedActions(report).map((name) => h("button", { type: "button", id: `action-${name}`, onclick: () => actionDialog(report, name) }, ACTION[name].label)));
    show("Phản ánh",
      h("p", {}, h("a", { href: "#/inbox" }, "← Hộp thư")),
      h("div", { class: "report" },
        h("section", { class: "card", "aria-labelledby": "h-content" },
          h("h2", { id: "h-content" }, "Nội dung"), h("p", { id: "report-description" }, report.description),
          photoList(report.media, "Ảnh"),
          report.result_media.length ? [h("h2", {}, "Ảnh kết quả"), photoList(report.result_media, "Ảnh kết quả")] : null,
          details,
          h("h2", {}, "Xử lý"), actions,
          h("h2", {}, "Diễn biến"), timeline),
        h("section", { class: "card", "aria-labelledby": "h-map" }, h("h2", { id: "h-map" }, "Vị trí"), mapElement)));
  }

  // ---- routing ---------------------------------------------------------------------------------

  async function route() {
    const hash = location.hash || "#/inbox";
    if (!hash.startsWith("#/")) return;
    if (hash.startsWith("#/login")) return loginView();
    if (!session.token) {
      try { await refreshSession(); } catch (_) { return loginView(); }
    }
    if (!STAFF.includes(session.user.role)) return loginView("Trang này dành cho cán bộ.");
    const top = document.getElementById("top");
    top.hidden = false;
    document.getElementById("who").textContent = session.user.full_name || session.user.email || "";
    const [path, query] = hash.slice(1).split("?");
    document.getElementById("nav-inbox").setAttribute("aria-current", path === "/inbox" ? "page" : "false");
    try {
      if (path.startsWith("/reports/")) return await reportView(path.slice("/reports/".length));
      return await inboxView(new URLSearchParams(query || ""));
    } catch (problem) {
      show("Không mở được trang", h("p", { class: "error", role: "alert" }, problem.words || String(problem)),
        h("p", {}, h("a", { href: "#/inbox" }, "Về hộp thư")));
    }
  }

  document.getElementById("logout").addEventListener("click", async () => {
    try { await consoleSession("DELETE", ""); } catch (_) { /* the cookie is cleared either way */ }
    loggedOut();
    announce("Đã đăng xuất");
  });
  document.getElementById("skip").addEventListener("click", (event) => { event.preventDefault(); main.focus(); });
  window.addEventListener("hashchange", route);

  fetch("/console/config.json").then((r) => r.json()).then((c) => { config = c; }).catch(() => {}).finally(route);
})();
