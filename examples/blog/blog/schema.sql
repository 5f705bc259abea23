-- The blog's tables. `tumbler --app blog init-db` drops and recreates them (all data is lost).
DROP TABLE IF EXISTS post;
DROP TABLE IF EXISTS user;

CREATE TABLE user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT UNIQUE NOT NULL,
  password TEXT NOT NULL
);

CREATE TABLE post (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  author_id INTEGER NOT NULL REFERENCES user (id),
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M', 'now')),
  title TEXT NOT NULL,
  body TEXT NOT NULL
);
