"""The change of shift (交接班): the duty log (值班记录) of each shift."""
