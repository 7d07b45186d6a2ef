-- Numbing cream and needle depth as structured data (clinical protocol 2). `numbing_detail` is
-- the numbing cream applied ({agent, area_cm2, minutes, occluded, removed}; NULL = none or not
-- recorded this way), `depths` the needle depth per treatment area ([{area, depth_mm}]) and
-- `warnings` what the protocol's limits said when the session was recorded. Older rows keep
-- their free-text `numbing` (now read as a legacy note) and `needle_depth_mm` (the deepest depth).

ALTER TABLE sessions ADD COLUMN numbing_detail JSONB;
ALTER TABLE sessions ADD COLUMN depths JSONB;
ALTER TABLE sessions ADD COLUMN warnings JSONB;
