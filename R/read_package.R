# Read the isis-iraq-syria data package in R with readr and jsonlite (Debian: r-cran-readr r-cran-jsonlite).
#
#   source("R/read_package.R")
#   tables <- read_package(".")          # a named list of data frames, one per table
#   stats <- read_table(".", "statistics")
#
# Types come from the Table Schemas (schemas/*.schema.json): string -> character (factor with the schema's levels
# when it has allowed values), integer -> integer, number -> double, boolean -> logical, date -> Date. A cell is
# missing only when it is one of its field's missing values (an empty cell), never "NA".

.schema_missing <- function(values) {
  if (is.null(values)) return("")
  vapply(values, function(v) if (is.list(v)) v$value else v, character(1))
}

.parse_field <- function(text, field, missing) {
  if (!is.null(field$missingValues)) missing <- .schema_missing(field$missingValues)
  text[text %in% missing] <- NA
  type <- if (is.null(field$type)) "string" else field$type
  enum <- field$constraints$enum
  switch(type,
    string = if (is.null(enum)) text else readr::parse_factor(text, levels = unlist(enum), include_na = FALSE),
    integer = readr::parse_integer(text, na = character()),
    number = readr::parse_double(text, na = character()),
    boolean = readr::parse_logical(text, na = character()),
    date = readr::parse_date(text, format = "%Y-%m-%d", na = character()),
    stop("unsupported Table Schema type: ", type))
}

read_table <- function(root, name) {
  descriptor <- jsonlite::read_json(file.path(root, "datapackage.json"))
  resource <- Filter(function(r) identical(r$name, name) && identical(r$format, "csv"), descriptor$resources)
  if (length(resource) == 0) stop("no table '", name, "' in ", file.path(root, "datapackage.json"))
  resource <- resource[[1]]
  schema <- jsonlite::read_json(file.path(root, resource$schema))
  names <- vapply(schema$fields, function(f) f$name, character(1))
  # every cell as text first, nothing trimmed and nothing taken as missing; then each field parsed by its type
  text <- readr::read_csv(file.path(root, resource$path), col_types = readr::cols(.default = readr::col_character()),
                          na = character(), trim_ws = FALSE, progress = FALSE, lazy = FALSE)
  if (!identical(names(text), names)) stop(resource$path, ": header does not match ", resource$schema)
  missing <- .schema_missing(schema$missingValues)
  frame <- as.data.frame(lapply(stats::setNames(schema$fields, names), function(f) .parse_field(text[[f$name]], f, missing)),
                         stringsAsFactors = FALSE, check.names = FALSE)
  for (f in schema$fields) {
    problems <- readr::problems(frame[[f$name]])
    if (nrow(problems) > 0) stop(resource$path, ": ", f$name, " does not parse as ", f$type)
  }
  frame
}

read_package <- function(root = ".") {
  descriptor <- jsonlite::read_json(file.path(root, "datapackage.json"))
  names <- unlist(lapply(descriptor$resources, function(r) if (identical(r$format, "csv")) r$name))
  stats::setNames(lapply(names, function(name) read_table(root, name)), names)
}
