// PostgreSQL for lrod's tests: the database the test scripts start (LRO_TEST_POSTGRES, a libpq
// conninfo; scripts/postgres-test-cluster.sh run -- … sets it), and a schema of its own per
// test, so that tests may run in parallel on one database.
#pragma once

#include <string>

namespace lro::server::test {

// LRO_TEST_POSTGRES, or "" when the tests run without PostgreSQL.
std::string PostgresConninfo();

// A fresh schema, dropped with everything in it at the end of the test.
// REQUIRES: PostgresConninfo() is not empty.
class PostgresSchema {
 public:
  PostgresSchema();
  ~PostgresSchema();
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;
  PostgresSchema(PostgresSchema&&) = delete;
  PostgresSchema& operator=(PostgresSchema&&) = delete;

  // PostgresConninfo() with its search_path set to the schema (a --store value as well).
  [[nodiscard]] const std::string& conninfo() const { return conninfo_; }

 private:
  std::string name_;
  std::string conninfo_;
};

}  // namespace lro::server::test
