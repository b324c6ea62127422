CREATE TABLE greetings (name TEXT);
INSERT INTO greetings VALUES ('World');
SELECT 'Hello, ' || name || '!' FROM greetings;
