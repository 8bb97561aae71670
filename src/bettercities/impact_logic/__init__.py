"""A programme's impact logic (Wirkungslogik): boxes from inputs to impact with their links, and the measures
each box holds, computed from the stored data (automatic) or entered with date, value and source (manual)."""
