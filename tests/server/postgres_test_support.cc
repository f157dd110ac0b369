#include "postgres_test_support.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "runtime/ids.h"

namespace lro::server::test {
namespace {

// Runs one statement on the test database, outside any test schema. A statement that
// PostgreSQL ends as a deadlock's victim is run again (up to 100 times, 50 ms apart): a DROP
// SCHEMA at the end of a test can meet the server process of an lrod that has just exited,
// still finishing the statements it had been sent (lrod pipelines them), and lose to it.
void Admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(PostgresConninfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  for (int attempt = 1;; ++attempt) {
    PGresult* result = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const bool deadlock_victim = !ok && state != nullptr && std::string(state) == "40P01";
    if (ok || !deadlock_victim || attempt == 100) {
      EXPECT_TRUE(ok) << sql << ": " << PQerrorMessage(conn);
      PQclear(result);
      break;
    }
    PQclear(result);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  PQfinish(conn);
}

// `conninfo` with `options` (a libpq "options" value) added, in its own syntax.
std::string WithOptions(const std::string& conninfo, const std::string& options) {
  if (conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://")) {
    std::string escaped;
    for (char c : options) {
      if (c == '=') {
        escaped += "%3D";
      } else if (c == ' ') {
        escaped += "%20";
      } else {
        escaped += c;
      }
    }
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "options=" + escaped;
  }
  return conninfo + " options='" + options + "'";
}

}  // namespace

std::string PostgresConninfo() {
  const char* value = std::getenv("LRO_TEST_POSTGRES");
  return value == nullptr ? std::string() : std::string(value);
}

PostgresSchema::PostgresSchema()
    : name_("lro_test_" + internal::NewRequestId().substr(0, 8)),
      conninfo_(WithOptions(PostgresConninfo(), "-csearch_path=" + name_)) {
  Admin("CREATE SCHEMA " + name_);
}

PostgresSchema::~PostgresSchema() { Admin("DROP SCHEMA " + name_ + " CASCADE"); }

}  // namespace lro::server::test
