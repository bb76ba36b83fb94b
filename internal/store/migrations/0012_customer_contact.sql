-- A customer's contact as they gave it (the widget's pre-chat form: SPEC
-- §11): shown to operators beside the name. '' when not given.
ALTER TABLE customers ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
