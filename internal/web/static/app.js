// OpenLines application entry
