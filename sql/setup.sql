-- setup: the extension installs in a fresh database, also into another
-- schema, and nothing of it is executable by PUBLIC.
CREATE SCHEMA other;
CREATE EXTENSION qes SCHEMA other;
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'qes';
SELECT count(*) > 0 AS tables_in_other FROM pg_tables
 WHERE schemaname = 'other' AND tablename LIKE 'qes\_%';
SELECT other.qes_normalize_mobile_number('+31 6 1234 5678') = '+31612345678' AS works_in_other;
DROP EXTENSION qes;
DROP SCHEMA other;

CREATE EXTENSION qes;
-- every object carries the qes_ prefix
SELECT count(*) AS unprefixed
  FROM pg_depend d
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'qes')
   AND d.deptype = 'e'
   AND pg_describe_object(d.classid, d.objid, 0) !~ '(^| |\.)qes_';
-- no function is executable by PUBLIC
SELECT p.proname
  FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'qes')
   AND has_function_privilege('public', p.oid, 'EXECUTE');
-- every table, function and view has a comment
SELECT pg_describe_object(d.classid, d.objid, 0) AS uncommented
  FROM pg_depend d
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'qes')
   AND d.deptype = 'e'
   AND d.classid IN ('pg_proc'::regclass, 'pg_class'::regclass)
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
   AND pg_describe_object(d.classid, d.objid, 0) NOT LIKE 'sequence %';
