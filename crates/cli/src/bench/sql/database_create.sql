CREATE DATABASE {database};
