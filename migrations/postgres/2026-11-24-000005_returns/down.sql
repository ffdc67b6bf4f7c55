DROP TABLE return_reminders;
DROP TABLE return_contents;
DROP TABLE returns;
