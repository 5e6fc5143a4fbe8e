-- GET the categories (reference data, served from memory).
function request()
  return wrk.format("GET", "/api/v1/categories")
end
